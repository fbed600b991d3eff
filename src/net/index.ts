/**
 * Addresses, the one module for them (parsers, engine, host model, flows and
 * outputs all use it):
 *
 *   ip.ts          what an address is: parse and normalise text (parsers)
 *   kernel-hex.ts  /proc/net hex addresses
 *   addr.ts        parsed addresses, CIDR, family, loopback, local (analysis)
 *   endpoint.ts    `ip:port` / `[v6]:port` text
 */
export * from "./ip.js";
export * from "./kernel-hex.js";
export * from "./addr.js";
export * from "./endpoint.js";
