import type { Entity, TokenMetadata } from "@latchkey/sdk";

/** What a dialog that acts on one token of the list is given: the token, where it lives, and what to do after. */
export interface TokenDialogProps {
  entity: Entity;
  token: TokenMetadata;
  onClose: () => void;
  /** The token changed: the list reloads. */
  onDone: () => void;
}
