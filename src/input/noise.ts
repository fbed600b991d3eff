/**
 * Lines that are common to every format and carry no data: `$ command`
 * banners that people and collectors put on top of a capture, and stderr lines
 * that collectors (sosreport, ours) capture into the same file.
 */

export interface Noise {
  reason: "banner" | "stderr";
  code: string;
  message: string;
}

const STDERR_PATTERNS: RegExp[] = [
  /^RTNETLINK answers: /,
  /^conntrack v\d[\d.]* \(conntrack-tools\): \d+ flow entries have been shown\.$/,
  /^nfct_labelmap_new: /,
  /^\(Not all processes could be identified, /,
  /^\(No info could be read for "-p": /,
  /^will not be shown, you would have to be root to see it all\.\)$/,
  /^Cannot open netlink socket: /,
  /^Failed to find cgroup2 mount$/,
  /^netstat: no support for `AF /,
  /^netstat: invalid option /,
  /^netstat: unrecognized option /,
  /^ss: invalid option /,
  /^ss: unrecognized option /,
  /^Error: No such container: /,
  /^WARNING: /,
];

/**
 * STDERR_PATTERNS by the first character of the lines each can match: a line
 * is tried only against the patterns of its first character (an ss row starting
 * with `E` of ESTAB meets one pattern, not twelve).
 */
const BY_START = new Map<number, RegExp[]>();
for (const re of STDERR_PATTERNS) {
  // every pattern starts with ^ and a literal character (\( is the only escaped one)
  const c = re.source.charCodeAt(1) === 92 ? re.source.charCodeAt(2) : re.source.charCodeAt(1);
  const list = BY_START.get(c);
  if (list) list.push(re);
  else BY_START.set(c, [re]);
}
/** net-tools' non-root note continues on an indented line; checked only for lines ending in `)`. */
const INDENTED_NOTE = /^\s+will not be shown, you would have to be root to see it all\.\)$/;

/**
 * Classify a line as common noise, or return null. `atTop` is true before the
 * first data line: only there is a `$ command` banner noise; further down it
 * separates concatenated captures and the format's parser reads it (it may
 * name the table of the listing that follows).
 */
export function classifyNoise(line: string, atTop: boolean): Noise | null {
  const c0 = line.charCodeAt(0);
  if ((c0 === 32 || c0 === 9) && line.charCodeAt(line.length - 1) === 41 && INDENTED_NOTE.test(line)) {
    return { reason: "stderr", code: "I_STDERR_LINE", message: "standard-error line captured into the file, ignored" };
  }
  if (c0 === 36) {
    if (atTop && line.startsWith("$ ")) {
      return { reason: "banner", code: "I_BANNER", message: "command banner line ignored" };
    }
    return null;
  }
  const patterns = BY_START.get(c0);
  if (patterns === undefined) return null;
  for (const re of patterns) {
    if (re.test(line)) {
      return { reason: "stderr", code: "I_STDERR_LINE", message: "standard-error line captured into the file, ignored" };
    }
  }
  return null;
}

/**
 * A command's refusal of its options (`netstat: invalid option -- 'p'`): what
 * follows it is the command's usage text (BusyBox's netstat has no -p or -W on
 * some builds), not a capture.
 */
export const USAGE_ERROR = /^(?:netstat|ss): (?:invalid|unrecognized) option /;

export function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

/**
 * Network-namespace hint from a path: `proc/6446/net/tcp6` -> `pid:6446`,
 * `proc/net/tcp` or `proc/self/net/tcp` -> `host`, a sosreport
 * `namespaces/NAME/` folder -> `netns:NAME`; otherwise null.
 */
export function netnsFromPath(file: string): string | null {
  const p = file.replace(/\\/g, "/");
  let m = /(?:^|\/)proc\/(\d+)\/net\/[^/]+$/.exec(p);
  if (m) return `pid:${m[1]}`;
  if (/(?:^|\/)proc\/(?:self\/)?net\/[^/]+$/.test(p)) return "host";
  m = /(?:^|\/)namespaces\/([^/]+)\/[^/]+$/.exec(p);
  if (m) return `netns:${m[1]}`;
  return null;
}
