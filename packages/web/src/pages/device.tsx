import type { DeviceRequestInfo, Entity } from "@latchkey/sdk";
import { useState, type FormEvent } from "react";
import { client } from "../api";
import { useLocation } from "../router";
import { ErrorBox, Field, Loading, useAction, useLoad } from "../ui";
import { Answered, ApproveOrDeny, PlaceFields } from "./approval-form";
import { RoleSelect } from "./role-select";

const LIFETIMES: [number, string][] = [
  [900, "15 minutes"],
  [3600, "1 hour"],
  [86_400, "1 day"],
  [30 * 86_400, "30 days"],
];

/**
 * The console half of the device flow (RFC 8628): a signed-in person types the code a device shows (`latchkey login
 * --device`, `latchkey elevate`), sees what it asks for, and approves with a team or organisation role, a name and a
 * lifetime, or denies. An elevation's requested lifetime is the most it can get.
 */
export function DevicePage() {
  const { query } = useLocation();
  const [code, setCode] = useState(query.get("user_code") ?? "");
  const [request, setRequest] = useState<DeviceRequestInfo | null>(null);
  const places = useLoad(() => Promise.all([client.teams.all(), client.orgs.all()]), []);
  const [kind, setKind] = useState<"team" | "org">("team");
  const [entityId, setEntityId] = useState("");
  const [roleId, setRoleId] = useState("");
  const [name, setName] = useState(`Device, ${new Date().toISOString().slice(0, 10)}`);
  const [lifetime, setLifetime] = useState(3600);
  const [done, setDone] = useState<"approved" | "denied" | null>(null);
  const action = useAction();
  const entity: Entity | null = entityId ? { type: kind, id: entityId } : null;
  const roles = useLoad(() => (entity ? client.roles(entity).all() : Promise.resolve([])), [kind, entityId]);

  const lookup = async (event: FormEvent) => {
    event.preventDefault();
    await action.run(async () => {
      const found = await client.device.lookup(code);
      setRequest(found);
      if (found.requestedRole) setRoleId(found.requestedRole);
      if (found.requestedLifetimeSeconds) setLifetime(found.requestedLifetimeSeconds);
    });
  };
  const approve = async (event: FormEvent) => {
    event.preventDefault();
    const where = kind === "team" ? { teamId: entityId } : { orgId: entityId };
    if (await action.run(() => client.device.approve({ userCode: code, ...where, roleId, name, lifetimeSeconds: lifetime })))
      setDone("approved");
  };
  const deny = async () => {
    if (await action.run(() => client.device.deny(code))) setDone("denied");
  };

  if (done) {
    return (
      <Answered title={done === "approved" ? "Device approved" : "Device denied"}>
        {done === "approved" ? "The device receives its token on its next poll. You can close this tab." : "The device was told no."}
      </Answered>
    );
  }
  if (!request) {
    return (
      <div className="page narrow-page">
        <h1>Connect a device</h1>
        <p className="notice">
          Enter the code that the device (for example <code>latchkey login --device</code>) shows. Enter a code only if you started that
          request yourself.
        </p>
        <form className="card" onSubmit={(e) => void lookup(e)}>
          <Field label="Code" hint="Eight letters, as XXXX-XXXX.">
            {(id) => <input id={id} required maxLength={32} autoComplete="off" value={code} onChange={(e) => setCode(e.target.value)} />}
          </Field>
          <ErrorBox error={action.error} />
          <div className="form-actions">
            <button type="submit" className="button primary" disabled={action.busy}>
              Continue
            </button>
          </div>
        </form>
      </div>
    );
  }

  const cap = request.requestedLifetimeSeconds;
  const lifetimes = cap ? LIFETIMES.filter(([s]) => s < cap).concat([[cap, `${Math.round(cap / 60)} minutes (asked for)`]]) : LIFETIMES;
  return (
    <div className="page narrow-page">
      <h1>{request.reason ? "Approve an elevation" : "Approve a device"}</h1>
      <p className="notice">
        Code <strong>{request.userCode}</strong>, asked from {request.ip} ({request.userAgent || "unknown client"}).
        {request.reason ? (
          <>
            {" "}
            It asks for role <strong>{request.requestedRole}</strong> for at most {Math.round((cap ?? 0) / 60)} minutes because: “
            {request.reason}”.
          </>
        ) : null}
      </p>
      {places.data === undefined ? <Loading /> : null}
      <ErrorBox error={places.error} onRetry={places.reload} />
      <form className="card" onSubmit={(e) => void approve(e)}>
        <PlaceFields
          kind={kind}
          entityId={entityId}
          places={places.data}
          onChange={(k, id) => {
            setKind(k);
            setEntityId(id);
          }}
        />
        <RoleSelect
          roles={roles.data}
          value={roleId}
          onChange={setRoleId}
          disabled={!entityId}
          placeholder={entityId ? "Choose a role…" : "Choose the team or organisation first"}
        />
        <Field label="Token name">
          {(id) => <input id={id} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Lifetime">
          {(id) => (
            <select id={id} value={lifetime} onChange={(e) => setLifetime(Number(e.target.value))}>
              {lifetimes.map(([s, label]) => (
                <option key={s} value={s}>
                  {label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <ErrorBox error={action.error} />
        <ApproveOrDeny busy={action.busy} onDeny={() => void deny()} />
      </form>
    </div>
  );
}
