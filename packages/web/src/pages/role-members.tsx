import type { Entity } from "@latchkey/sdk";
import { useState, type FormEvent } from "react";
import { client } from "../api";
import { ErrorBox, Field, Status, useAction, useLoad } from "../ui";

/** Who holds a role; give it to another member or take it away. */
export function RoleMembers({ entity, roleId }: { entity: Entity; roleId: string }) {
  const holders = useLoad(
    async () => (await client.roles(entity).members(roleId, { perPage: 100 })).items,
    [entity.type, entity.id, roleId],
  );
  const everyone = useLoad(() => client.members(entity).all(), [entity.type, entity.id]);
  const [userId, setUserId] = useState("");
  const action = useAction();
  const others = (everyone.data ?? []).filter((m) => !m.roles.includes(roleId));

  const add = async (event: FormEvent) => {
    event.preventDefault();
    if (await action.run(() => client.roles(entity).addMember(roleId, userId))) {
      setUserId("");
      holders.reload();
      everyone.reload();
    }
  };
  const remove = async (id: string) => {
    if (await action.run(() => client.roles(entity).removeMember(roleId, id))) {
      holders.reload();
      everyone.reload();
    }
  };

  return (
    <section className="card" aria-labelledby="role-members-title">
      <h2 id="role-members-title">Members with this role</h2>
      <Status state={holders} empty="Nobody holds this role.">
        {(list) => (
          <ul className="member-list">
            {list.map((m) => (
              <li key={m.userId}>
                <span>
                  {m.name} <span className="muted">{m.email}</span>
                </span>
                <button
                  type="button"
                  className="button small subtle"
                  aria-label={`Take the role from ${m.email}`}
                  onClick={() => void remove(m.userId)}
                >
                  Remove
                </button>
              </li>
            ))}
          </ul>
        )}
      </Status>
      {others.length > 0 ? (
        <form className="inline-form" onSubmit={(e) => void add(e)}>
          <Field label="Give this role to">
            {(id) => (
              <select id={id} required value={userId} onChange={(e) => setUserId(e.target.value)}>
                <option value="">Choose a member…</option>
                {others.map((m) => (
                  <option key={m.userId} value={m.userId}>
                    {m.name} ({m.email})
                  </option>
                ))}
              </select>
            )}
          </Field>
          <button type="submit" className="button" disabled={action.busy}>
            Add
          </button>
        </form>
      ) : null}
      <ErrorBox error={action.error ?? everyone.error} />
    </section>
  );
}
