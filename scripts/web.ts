/**
 * The web gateway: serves the chat page on http://localhost:8080 (the
 * port by `--web-port` / `WEB_PORT`) and its WebSocket endpoint, and
 * speaks the contract to the broker and the proxy for each browser
 * session, logging every message sent and received. The page is bundled
 * from web/ when it starts. Exits 0 on SIGTERM.
 * @module
 */
import { die, exitOnSignals, logMode, loggerFor, roleOptions } from "../shared/roles/cli.ts";
import { PageAssets } from "../shared/web/assets.ts";
import { startGateway } from "../shared/web/gateway.ts";

const { options: o } = roleOptions("web", [
  "webPort", "webListen", "webMaxSessions", "brokerFrontend", "proxyXpub", "host", "timeout", "retries", "json", "quiet",
]);

try {
  const log = loggerFor("web", undefined, o);
  const assets = await PageAssets.build();
  const gateway = startGateway({
    port: o.webPort,
    hostname: o.webListen,
    endpoints: o,
    timeoutMs: o.timeout,
    retries: o.retries,
    logMode: logMode(o),
    maxSessions: o.webMaxSessions,
    assets,
    log,
  });
  const shown = o.webListen === "0.0.0.0" || o.webListen === "127.0.0.1" ? "localhost" : o.webListen;
  log.info(`web gateway on http://${shown}:${gateway.port} (broker ${o.brokerFrontend}, proxy ${o.proxyXpub})`);
  exitOnSignals(async () => {
    await gateway.stop();
    log.info("stopped");
  });
} catch (e) {
  die("web", e);
}
