/**
 * A view of the cluster: one row per live server — rank, peer address,
 * coordinator mark, clock offset against the coordinator, record count,
 * version vector and history digest (shared/status/cluster-view.ts).
 * Refreshes every second; `--once` prints once, `--json` prints one JSON
 * document per refresh.
 * @module
 */
import kleur from "kleur";
import { roleOptions } from "../shared/roles/cli.ts";
import { trustFor } from "../shared/roles/cluster-trust.ts";
import { ClusterView, renderTable } from "../shared/status/cluster-view.ts";

const { options } = roleOptions("status", ["ref", "host", "dataDir", "keysDir", "open", "once", "json", "interval", "timeout"]);

// The ref and the servers' peer endpoints take cluster members only: this view is one.
const view = new ClusterView(options.ref, options.timeout, trustFor(options).member());
const redraw = Boolean(process.stdout.isTTY) && !options.once && !options.json;
kleur.enabled = Boolean(process.stdout.isTTY);
for (;;) {
  const s = await view.snapshot();
  const out = options.json ? JSON.stringify(s) : renderTable(s);
  process.stdout.write((redraw ? "\x1b[2J\x1b[H" : "") + out + "\n");
  if (options.once) {
    view.close();
    process.exit(s.error ? 1 : 0);
  }
  await Bun.sleep(options.interval);
}
