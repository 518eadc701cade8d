// A replica in its own Node process, on the built package. Run by websocket-processes.test.ts
// with child_process.fork:
//   ws-peer.mjs server <id>            listens on 127.0.0.1:0, echoes every frame, reports its URL
//   ws-peer.mjs client <id> <url> <n>  sends n numbered frames, waits for all echoes, reports
// The process exits on its own once its transport is closed: the exit proves close() left nothing.
import { replicaId } from "@convergent/clocks";
import {
  listenWebSocketServer,
  nodeWebSocketClient,
} from "../../../dist/transports/websocket-node.js";

const [role, id, url, count] = process.argv.slice(2);

function finish(transport, report) {
  transport.close().then(() => {
    process.send(report);
    process.disconnect();
  });
}

if (role === "server") {
  const server = await listenWebSocketServer({ localId: replicaId(id), port: 0 });
  const peersSeen = new Set();
  let frames = 0;
  server.onPeerConnected((peer) => peersSeen.add(peer));
  server.onFrame((peer, frame) => {
    frames++;
    const reply = new Uint8Array(frame.length + 1);
    reply.set(frame);
    reply[frame.length] = 0xee;
    server.send(peer, reply);
  });
  process.on("message", (message) => {
    if (message === "stop")
      finish(server, { role, frames, peers: [...peersSeen].sort(), stats: server.stats() });
  });
  process.send({ role, url: server.url() });
} else {
  const n = Number(count);
  const client = nodeWebSocketClient({ localId: replicaId(id), url });
  const echoes = [];
  let serverId;
  client.onPeerConnected((peer) => {
    serverId = peer;
    for (let i = 0; i < n; i++) client.send(peer, Uint8Array.of(i & 0xff, i >> 8, 0x42));
  });
  client.onFrame((peer, frame) => {
    echoes.push([peer, ...frame]);
    if (echoes.length === n) finish(client, { role, serverId, echoes, stats: client.stats() });
  });
}
