/* global process, console */
// Prints the certificates of a CA bundle (default: Debian's) that Node does not already trust:
// behind a TLS-intercepting proxy, that is the proxy's CA, small enough for a build argument
// (the whole bundle is over the kernel's 128 KiB limit for one argument).
import { readFileSync } from 'node:fs';
import tls from 'node:tls';

const file = process.argv[2] ?? '/etc/ssl/certs/ca-certificates.crt';
const norm = (pem) => pem.replace(/-----[^-]+-----|\s/g, '');
const known = new Set(tls.rootCertificates.map(norm));
let pems = [];
try {
  pems =
    readFileSync(file, 'utf8').match(
      /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
    ) ?? [];
} catch {
  // No bundle: nothing extra to trust.
}
const extra = pems.filter((p) => !known.has(norm(p)));
if (extra.length) console.log(extra.join('\n'));
