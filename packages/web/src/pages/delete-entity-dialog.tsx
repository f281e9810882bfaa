import type { Entity } from "@latchkey/sdk";
import { client } from "../api";
import { ConfirmByName } from "../dialog-actions";
import { usePlaces } from "../places";
import { navigate } from "../router";
import { Dialog, ErrorBox, Loading, useAction, useLoad } from "../ui";

/** How many of something go with the deletion: a number, or null when the person may not list them. */
type Count = { n: number; names: string[] } | null;

const settled = async <T,>(list: Promise<T[]>, name: (item: T) => string): Promise<Count> => {
  try {
    const items = await list;
    return { n: items.length, names: items.map(name) };
  } catch {
    return null;
  }
};

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** "3 teams (web, api, ops)", the names only while they are few. */
const some = (c: Count, one: string, many?: string) =>
  c === null ? null : `${plural(c.n, one, many)}${c.n > 0 && c.n <= 5 ? ` (${c.names.join(", ")})` : ""}`;

/** What a team's or organisation's deletion takes with it, counted from the lists the person may read. */
function useConsequences(entity: Entity) {
  return useLoad(async () => {
    const [tokens, members, inside] = await Promise.all([
      settled(client.tokens(entity).all(false), (t) => t.name),
      settled(client.members(entity).all(), (m) => m.email),
      entity.type === "team"
        ? settled(client.projects(entity.id).all(), (p) => p.name)
        : settled(client.orgs.teams(entity.id), (t) => t.name),
    ]);
    return { tokens, members, inside };
  }, [entity.type, entity.id]);
}

/**
 * Deleting a team or an organisation: says what goes with it, and asks for its name to be typed. Afterwards the
 * switcher forgets it and the person lands on the start page.
 */
export function DeleteEntityDialog({
  entity,
  name,
  orgId,
  onClose,
}: {
  entity: Entity;
  name: string;
  /** A team's organisation, whose audit log keeps the record of the deletion. */
  orgId?: string | null;
  onClose: () => void;
}) {
  const what = entity.type === "team" ? "team" : "organisation";
  const consequences = useConsequences(entity);
  const places = usePlaces();
  const action = useAction();
  const remove = async () => {
    const done = await action.run(() => (entity.type === "team" ? client.teams.delete(entity.id) : client.orgs.delete(entity.id)));
    if (done) {
      onClose();
      places.reload();
      navigate("/");
    }
  };
  const c = consequences.data;
  return (
    <Dialog title={`Delete the ${what} ${name}?`} onClose={onClose}>
      <p>This cannot be undone. With the {what} goes everything in it, for good, on every server at once:</p>
      {c === undefined ? (
        <Loading label="Counting what goes with it…" />
      ) : (
        <ul className="consequences" data-testid="consequences">
          {entity.type === "org" ? <li>{some(c.inside, "team") ?? "every team in it"}, with all that is in each of them</li> : null}
          <li>
            {some(c.tokens, "active API token") ?? "every API token"} of the {what}: revoked at once
          </li>
          <li>{c.members ? plural(c.members.n, "member") : "every member"}: they lose their roles and their access here</li>
          <li>
            its roles, {entity.type === "team" ? `${some(c.inside, "project") ?? "its projects"}, ` : ""}its APIs and its pending
            invitations
          </li>
        </ul>
      )}
      <p className="muted">
        Its id <code>{entity.id}</code> is never given to another {what}.
        {orgId ? (
          <>
            {" "}
            The deletion is recorded in the audit log of the organisation <code>{orgId}</code>.
          </>
        ) : null}
      </p>
      <ErrorBox error={action.error} />
      <ConfirmByName name={name} onCancel={onClose} onConfirm={() => void remove()} busy={action.busy}>
        Delete {what}
      </ConfirmByName>
    </Dialog>
  );
}
