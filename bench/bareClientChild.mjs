// The overhead benchmark's "bare Node child": what any command-line client pays just to start Node
// and stream the answer (node:http, nothing else loaded). Reads the request body on stdin, POSTs it
// to `${argv[2]}/chat/completions`, writes "first" to stdout when the first content delta arrives.
import * as http from 'node:http';

const url = process.argv[2];
const parts = [];
for await (const b of process.stdin) parts.push(b);
const body = Buffer.concat(parts);
let said = false;
await new Promise((resolve, reject) => {
  const req = http.request(`${url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (d) => {
      if (!said && /"content":"[^"]/.test(d)) {
        said = true;
        process.stdout.write('first\n');
      }
    });
    res.on('end', resolve);
  });
  req.on('error', reject);
  req.end(body);
});
