import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TestPki {
  /** PEM of the CA agents trust (--tls_server_certs). */
  ca: string;
  caFile: string;
  /** PEM certificate for localhost and 127.0.0.1, signed by the CA, and its key. */
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

/**
 * A CA and a server certificate made with openssl, as the README tells operators to: what osquery
 * checks (a chain to --tls_server_certs, and the name in the SAN) is checked here too.
 */
export function makeTestPki(dir: string, names: string[] = ["localhost", "127.0.0.1"]): TestPki {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=osquery-inventory test CA");
  openssl("req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", `/CN=${names[0]}`);
  const san = names.map((n) => (/^[\d.]+$/.test(n) || n.includes(":") ? `IP:${n}` : `DNS:${n}`)).join(",");
  writeFileSync(file("ext.cnf"), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
  openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf");
  return {
    ca: readFileSync(file("ca.pem"), "utf8"),
    caFile: file("ca.pem"),
    cert: readFileSync(file("server.pem"), "utf8"),
    key: readFileSync(file("server.key"), "utf8"),
    certFile: file("server.pem"),
    keyFile: file("server.key"),
  };
}
