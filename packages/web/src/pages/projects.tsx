import type { Entity, Project } from "@latchkey/sdk";
import { useState } from "react";
import { client } from "../api";
import { NotAllowed, useAccess } from "../access";
import { ConfirmDialog } from "../confirm-dialog";
import { DescriptionCell, RowButton, Table } from "../table";
import { PageHead, Status, Time, useLoad } from "../ui";
import { InlineCreateForm } from "./inline-create-form";

function DeleteProjectDialog({ team, project, onClose }: { team: Entity; project: Project; onClose: () => void }) {
  return (
    <ConfirmDialog
      title={`Delete project ${project.name}?`}
      confirm="Delete project"
      act={() => client.projects(team.id).delete(project.id)}
      onClose={onClose}
    >
      <p>
        Project <code>{project.id}</code> is deleted for good. Roles restricted to it keep its id in their list.
      </p>
    </ConfirmDialog>
  );
}

/** A team's projects (what role restrictions name): list, create and delete, as far as the person may. */
export function ProjectsPage({ team }: { team: Entity }) {
  const projects = useLoad(() => client.projects(team.id).all(), [team.id]);
  const access = useAccess(team);
  const mayCreate = access.may("project.create");
  const mayDelete = access.may("project.delete");
  const [deleting, setDeleting] = useState<Project | null>(null);
  return (
    <div className="page">
      <PageHead title="Projects" description="The team's projects: roles may be restricted to some of them." />
      <Status state={projects} empty="This team has no projects yet.">
        {(list) => (
          <Table caption="Projects" columns={["Project", "Description", "Created"]} actions={mayDelete}>
            {list.map((p) => (
              <tr key={p.id}>
                <th scope="row">
                  {p.name} <code className="muted">{p.id}</code>
                </th>
                <DescriptionCell text={p.description} />
                <td>
                  <Time at={p.createdAt} />
                </td>
                {mayDelete ? (
                  <td className="row-actions">
                    <RowButton label="Delete" name={`Delete ${p.name}`} danger onClick={() => setDeleting(p)} />
                  </td>
                ) : null}
              </tr>
            ))}
          </Table>
        )}
      </Status>
      {mayCreate ? (
        <InlineCreateForm
          what="project"
          create={async (input) => {
            await client.projects(team.id).create(input);
            projects.reload();
          }}
        />
      ) : access.loaded ? (
        <NotAllowed what="Creating projects" permission="project.create" />
      ) : null}
      {deleting ? (
        <DeleteProjectDialog
          team={team}
          project={deleting}
          onClose={() => {
            setDeleting(null);
            projects.reload();
          }}
        />
      ) : null}
    </div>
  );
}
