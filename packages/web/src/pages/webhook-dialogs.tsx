import { WEBHOOK_EVENT_TYPES, type Entity, type Webhook, type WebhookEventTypeId } from "@latchkey/sdk";
import { useState, type FormEvent } from "react";
import { client } from "../api";
import { ConfirmDialog } from "../confirm-dialog";
import { SecretShownOnce } from "../copy-field";
import { SubmitActions } from "../dialog-actions";
import { Dialog, ErrorBox, Field, useAction } from "../ui";

/** Adds a webhook; its signing secret is shown once, right after. */
export function AddWebhookDialog({ entity, onClose, onAdded }: { entity: Entity; onClose: () => void; onAdded: () => void }) {
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [events, setEvents] = useState<WebhookEventTypeId[]>([...WEBHOOK_EVENT_TYPES]);
  const [secret, setSecret] = useState<string | null>(null);
  const action = useAction();
  const toggle = (event: WebhookEventTypeId, on: boolean) => setEvents((list) => (on ? [...list, event] : list.filter((e) => e !== event)));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const created = await action.run(() => client.webhooks(entity).create({ url, description, events }));
    if (created) {
      setSecret(created.secret);
      onAdded();
    }
  };

  if (secret !== null) {
    return (
      <Dialog title="Webhook added" onClose={onClose}>
        <SecretShownOnce
          warning={
            <>
              <strong>Copy the signing secret now.</strong> It will not be shown again. Your receiver verifies each message with it
              (Standard Webhooks: headers <code>webhook-id</code>, <code>webhook-timestamp</code>, <code>webhook-signature</code>).
            </>
          }
          label="Signing secret"
          secret={secret}
          onDone={onClose}
        />
      </Dialog>
    );
  }
  return (
    <Dialog title="Add webhook" onClose={onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <Field label="URL" hint="An http(s) address reachable from the internet; private and loopback addresses are refused.">
          {(id) => <input id={id} type="url" required maxLength={2048} value={url} onChange={(e) => setUrl(e.target.value)} />}
        </Field>
        <Field label="Description">
          {(id) => <input id={id} maxLength={1000} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        <fieldset className="events">
          <legend>Events</legend>
          {WEBHOOK_EVENT_TYPES.map((event) => (
            <label key={event} className="toggle">
              <input type="checkbox" checked={events.includes(event)} onChange={(e) => toggle(event, e.target.checked)} />
              <code>{event}</code>
            </label>
          ))}
        </fieldset>
        <ErrorBox error={action.error} />
        <SubmitActions onCancel={onClose} busy={action.busy || events.length === 0}>
          {action.busy ? "Adding…" : "Add webhook"}
        </SubmitActions>
      </form>
    </Dialog>
  );
}

/** Deletes a webhook and its delivery log, after a confirmation. */
export function DeleteWebhookDialog({
  entity,
  webhook,
  onClose,
  onDone,
}: {
  entity: Entity;
  webhook: Webhook;
  onClose: () => void;
  onDone: () => void;
}) {
  return (
    <ConfirmDialog
      title="Delete webhook"
      confirm="Delete webhook"
      act={() => client.webhooks(entity).delete(webhook.id)}
      onDone={onDone}
      onClose={onClose}
    >
      <p>
        Stop sending events to <code>{webhook.url}</code> and delete its delivery log?
      </p>
    </ConfirmDialog>
  );
}
