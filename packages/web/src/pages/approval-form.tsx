/** The parts the pages that approve a token for a command line or a device share (`/cli-login`, `/device`). */
import type { Org, Team } from "@latchkey/sdk";
import { Field } from "../ui";

type Kind = "team" | "org";

/**
 * Where the token's role comes from: a team or an organisation, then which of the person's own. `onChange` gets the
 * kind and the id chosen (empty when the kind changed). With `sayNone`, the empty choice says when there is none.
 */
export function PlaceFields({
  kind,
  entityId,
  places,
  onChange,
  sayNone = false,
}: {
  kind: Kind;
  entityId: string;
  /** The person's teams and organisations (none while they load). */
  places: [Team[], Org[]] | undefined;
  onChange: (kind: Kind, entityId: string) => void;
  sayNone?: boolean;
}) {
  const [teams, orgs] = places ?? [[], []];
  const choices = kind === "team" ? teams : orgs;
  const none = kind === "team" ? "You are in no team" : "You are in no organisation";
  return (
    <>
      <fieldset className="field">
        <legend>Grant a role of</legend>
        <div className="choices">
          {(["team", "org"] as const).map((k) => (
            <label className="choice" key={k}>
              <input type="radio" name="kind" checked={kind === k} onChange={() => onChange(k, "")} />
              {k === "team" ? "A team" : "An organisation"}
            </label>
          ))}
        </div>
      </fieldset>
      <Field label={kind === "team" ? "Team" : "Organisation"}>
        {(id) => (
          <select id={id} required value={entityId} onChange={(e) => onChange(kind, e.target.value)}>
            <option value="">{sayNone && choices.length === 0 ? none : "Choose…"}</option>
            {choices.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name} ({c.id})
              </option>
            ))}
          </select>
        )}
      </Field>
    </>
  );
}

/** The page once the person has answered: approved or denied, and what happens next. */
export function Answered({ title, children }: { title: string; children: string }) {
  return (
    <div className="page narrow-page">
      <div className="card done" role="status">
        <h1>{title}</h1>
        <p>{children}</p>
      </div>
    </div>
  );
}

/** Approve (the form's submit) and Deny. */
export function ApproveOrDeny({
  busy,
  onDeny,
  approveDisabled = false,
  approveTitle,
}: {
  busy: boolean;
  onDeny: () => void;
  /** Holds Approve back for a reason of the page's own (a pairing code not yet compared), said in `approveTitle`. */
  approveDisabled?: boolean;
  approveTitle?: string | undefined;
}) {
  return (
    <div className="form-actions">
      <button type="submit" className="button primary" disabled={busy || approveDisabled} title={approveTitle}>
        Approve
      </button>
      <button type="button" className="button danger" disabled={busy} onClick={onDeny}>
        Deny
      </button>
    </div>
  );
}
