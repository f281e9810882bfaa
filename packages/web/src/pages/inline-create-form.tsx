import { useState, type FormEvent } from "react";
import { ErrorBox, Field, useAction } from "../ui";

/** The one-line "new team" / "new project" form under a list: a name and a description, cleared once made. */
export function InlineCreateForm({
  what,
  create,
}: {
  /** "team", "project": names the form, its name field and its button. */
  what: string;
  create: (input: { name: string; description: string }) => Promise<unknown>;
}) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await action.run(() => create({ name, description }))) {
      setName("");
      setDescription("");
    }
  };
  return (
    <>
      <form className="card inline-form" onSubmit={(e) => void submit(e)} aria-label={`New ${what}`}>
        <Field label={`New ${what} name`}>
          {(id) => <input id={id} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Description">
          {(id) => <input id={id} maxLength={1000} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        <button type="submit" className="button primary" disabled={action.busy}>
          Create {what}
        </button>
      </form>
      <ErrorBox error={action.error} />
    </>
  );
}
