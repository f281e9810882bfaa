import type { Entity } from "@latchkey/sdk";
import { client } from "../api";
import { Link } from "../router";
import { settingsPath } from "../session";
import { PageHead, Status, Time, useLoad } from "../ui";
import { InlineCreateForm } from "./inline-create-form";
import { DescriptionCell, Table } from "../table";
import { NotAllowed, useAccess } from "../access";
import { usePlaces } from "../places";

/** The teams of an organisation, and a new one. */
export function OrgTeamsPage({ org }: { org: Entity }) {
  const teams = useLoad(() => client.orgs.teams(org.id), [org.id]);
  const access = useAccess(org);
  const places = usePlaces();
  return (
    <div className="page">
      <PageHead title="Teams" description="Organisation roles reach these teams (all of them, or the ones a role is limited to)." />
      <Status state={teams} empty="This organisation has no teams yet.">
        {(list) => (
          <Table caption="Teams of the organisation" columns={["Team", "Description", "Created"]}>
            {list.map((t) => (
              <tr key={t.id}>
                <th scope="row">
                  <Link to={settingsPath({ type: "team", id: t.id }, "/api/tokens")}>{t.name}</Link> <code className="muted">{t.id}</code>
                </th>
                <DescriptionCell text={t.description} />
                <td>
                  <Time at={t.createdAt} />
                </td>
              </tr>
            ))}
          </Table>
        )}
      </Status>
      {access.may("org.teams.create") ? (
        <InlineCreateForm
          what="team"
          create={async (input) => {
            await client.orgs.createTeam(org.id, input);
            teams.reload();
            // The switcher lists the new team at once.
            places.reload();
          }}
        />
      ) : access.loaded ? (
        <NotAllowed what="Creating teams" permission="org.teams.create" />
      ) : null}
    </div>
  );
}
