import type { Metrics } from "../lib/metrics.js";
import type { AuditWriter } from "./writer.js";

/** The writer, with each write's size and time (until committed) counted into the metrics. */
export function measuredWriter(writer: AuditWriter, metrics: Metrics): AuditWriter {
  return {
    ...writer,
    async write(batch) {
      const start = performance.now();
      try {
        await writer.write(batch);
      } catch (error) {
        metrics.auditWrite(batch.length, 0, true);
        throw error;
      }
      metrics.auditWrite(batch.length, (performance.now() - start) / 1000, false);
    },
  };
}
