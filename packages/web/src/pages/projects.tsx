import type { Entity, Project } from "@latchkey/sdk";
import { useState, type FormEvent } from "react";
import { client } from "../api";
import { NotAllowed, useAccess } from "../access";
import { ConfirmActions } from "../dialog-actions";
import { DescriptionCell, RowButton, Table } from "../table";
import { Dialog, ErrorBox, Field, PageHead, Status, Time, useAction, useLoad } from "../ui";

function DeleteProjectDialog({ team, project, onClose }: { team: Entity; project: Project; onClose: () => void }) {
  const action = useAction();
  const remove = async () => {
    if (await action.run(() => client.projects(team.id).delete(project.id))) onClose();
  };
  return (
    <Dialog title={`Delete project ${project.name}?`} onClose={onClose}>
      <p>
        Project <code>{project.id}</code> is deleted for good. Roles restricted to it keep its id in their list.
      </p>
      <ErrorBox error={action.error} />
      <ConfirmActions onCancel={onClose} onConfirm={() => void remove()} disabled={action.busy}>
        Delete project
      </ConfirmActions>
    </Dialog>
  );
}

/** A team's projects (what role restrictions name): list, create and delete, as far as the person may. */
export function ProjectsPage({ team }: { team: Entity }) {
  const projects = useLoad(() => client.projects(team.id).all(), [team.id]);
  const access = useAccess(team);
  const mayCreate = access.may("project.create");
  const mayDelete = access.may("project.delete");
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [deleting, setDeleting] = useState<Project | null>(null);
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await action.run(() => client.projects(team.id).create({ name, description }))) {
      setName("");
      setDescription("");
      projects.reload();
    }
  };
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
        <form className="card inline-form" onSubmit={(e) => void submit(e)} aria-label="New project">
          <Field label="New project name">
            {(id) => <input id={id} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field label="Description">
            {(id) => <input id={id} maxLength={1000} value={description} onChange={(e) => setDescription(e.target.value)} />}
          </Field>
          <button type="submit" className="button primary" disabled={action.busy}>
            Create project
          </button>
        </form>
      ) : access.loaded ? (
        <NotAllowed what="Creating projects" permission="project.create" />
      ) : null}
      <ErrorBox error={action.error} />
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
