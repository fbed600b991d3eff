/**
 * Terminal transcripts: text copied from a shell into a ticket, a chat or an
 * issue. Such a paste holds prompt lines (`root@host:~# iptables-save`,
 * `[ec2-user@ip-10-0-0-1 ~]$ sudo ss -tanp`, `/ # netstat -tan`, `PS C:\> ...`),
 * bare command lines (`cat /proc/net/tcp`), the output of each command, and
 * the poster's edits: elisions (`...`, `5  ...`) and notes
 * (`(some columns are not shown)`).
 *
 * SUSE's supportconfig writes the same shape into its `*.txt` files: a header
 * line per entry (`#==[ Command ]=====#`, `#==[ Configuration File ]===#`),
 * then `# /sbin/ip addr` or `# /proc/net/tcp`, then the output. A header ends
 * the section above it; the command or file line below it names the next.
 *
 * This module only classifies single lines and maps a command to the format it
 * prints; the parse driver (src/parse.ts) cuts a paste into one section per
 * command and detects each section on its own, with the command as a hint.
 * Pure functions: no state between inputs.
 */

/** A line that is a shell prompt, with or without a command after it. */
export interface PromptLine {
  /** The command typed after the prompt; "" for a bare prompt. */
  command: string;
  /**
   * `banner` for the `$ command` line natlens always read (the driver keeps
   * its old handling), `prompt` for other prompt styles, `bare` for a command
   * line without a prompt, `header` for a supportconfig entry header
   * (`#==[ Command ]====#`; no command: the line below names it).
   */
  style: "banner" | "prompt" | "bare" | "header";
}

/**
 * Commands that print a capture natlens reads, and the format they print.
 * Wrappers (sudo, nsenter, docker exec, ...) are removed first.
 */
const CAPTURE_PROGRAMS = new Set([
  "iptables", "ip6tables", "iptables-legacy", "ip6tables-legacy", "iptables-nft", "ip6tables-nft",
  "iptables-save", "ip6tables-save", "iptables-legacy-save", "ip6tables-legacy-save", "iptables-nft-save", "ip6tables-nft-save",
  "nft", "ss", "netstat", "ps", "conntrack", "docker", "ip", "cat", "sysctl", "uname",
]);

/** Other commands people type in the transcripts they paste; after a weak prompt (`$`, `#`, `>`) only these count. */
const OTHER_PROGRAMS = new Set([
  "sudo", "doas", "su", "cd", "ls", "ll", "pwd", "echo", "grep", "egrep", "awk", "sed", "head", "tail", "less", "more", "wc", "sort",
  "curl", "wget", "nc", "ncat", "telnet", "ping", "traceroute", "dig", "nslookup", "host", "tcpdump", "lsof", "fuser",
  "systemctl", "service", "journalctl", "hostname", "whoami", "id", "date", "uptime", "free", "df",
  "docker-compose", "podman", "kubectl", "dockerd", "containerd", "runc", "nsenter", "brctl", "bridge", "ifconfig", "route",
  "modprobe", "lsmod", "firewall-cmd", "ufw", "apt", "apt-get", "yum", "dnf", "apk", "which", "type", "env", "export",
  "time", "watch", "busybox", "clear", "history", "exit", "vi", "vim", "nano", "tee", "xargs", "sh", "bash", "zsh",
  "python", "python3", "node", "nginx", "openssl", "arp", "ethtool", "tc", "lsns", "pgrep", "pkill", "kill", "top",
]);

/** Prompts whose shape alone says "prompt": any command may follow. */
const STRONG_PROMPTS: RegExp[] = [
  // user@host:path$ cmd   root@3f4e5c:/# cmd   (venv) ubuntu@ip-10-0-0-1:~/app$ cmd
  /^(?:\([\w.-]+\)\s+)?[\w.-]+@[\w.-]+:[^\s$#]*\s?[$#]( +(.*))?$/,
  // [user@host dir]$ cmd   [root@localhost ~]# cmd
  /^(?:\([\w.-]+\)\s+)?\[[\w.-]+@[\w.-]+(?: [^\]]*)?\][$#]( *(.*))?$/,
  // user@host ~ % cmd (zsh)   user@host ~> cmd (fish)   user@host /etc/docker# cmd
  /^(?:\([\w.-]+\)\s+)?[\w.-]+@[\w.-]+ [~/][^\s]*\s?[%$#>]( +(.*))?$/,
  // host:~ user$ cmd (macOS bash)
  /^[\w.-]+:[~/]\S* [\w.-]+[$#]( +(.*))?$/,
  // bash-5.1$ cmd   sh-4.2# cmd
  /^(?:ba|z|k|da|a)?sh-\d[\d.]*[$#]( +(.*))?$/,
  // PS C:\Users\me> cmd   C:\> cmd
  /^(?:PS )?[A-Za-z]:\\[^>]*>( *(.*))?$/,
  // oh-my-zsh: ➜  ~ cmd   ➜  project git:(main) ✗ cmd
  /^➜ +\S+(?: git:\([^)]*\))?(?: ✗)? *( (.*))?$/,
];

/** supportconfig's entry header: `#==[ Command ]======================================#`. */
const SCC_HEADER = /^#==\[ [^\]]+ \]=+#$/;

/** `# /proc/net/tcp`: an absolute path alone on a comment line names the file whose content follows. */
const FILE_LINE = /^\/[\w.@+-]+(?:\/[\w.@+:-]+)*$/;
/** Directories of files, never of programs. */
const DATA_DIRS = /^\/(?:proc|sys|etc|var|run|dev)\//;

/** Prompts that are only a sign or a path and a sign: a known command must follow. */
const WEAK_PROMPT = /^(?:[~/][\w/.~-]*\s?)?[$#%>❯λ]( +(.*))?$/;

function firstWord(s: string): string {
  const m = /^\S+/.exec(s);
  return m ? m[0] : "";
}

/** Words of a command line, with simple quoting removed (enough to find the program and its options). */
export function shellWords(s: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

/** Remove the wrappers that run a command somewhere else or as someone else. */
export function unwrap(words: string[]): string[] {
  let w = words;
  for (let guard = 0; guard < 8 && w.length > 0; guard++) {
    const p = w[0]!.replace(/^.*\//, "");
    if (p === "sudo" || p === "doas") {
      let i = 1;
      while (i < w.length && w[i]!.startsWith("-")) i += /^-[ugChrpD]$/.test(w[i]!) ? 2 : 1;
      w = w.slice(i);
    } else if (p === "env" || p === "command" || p === "time" || p === "exec" || p === "busybox" || p === "nohup") {
      let i = 1;
      while (i < w.length && (w[i]!.startsWith("-") || /^\w+=/.test(w[i]!))) i++;
      w = w.slice(i);
    } else if (p === "watch") {
      let i = 1;
      while (i < w.length && w[i]!.startsWith("-")) i += /^-[nd]$/.test(w[i]!) ? 2 : 1;
      w = w.slice(i);
    } else if (p === "nsenter") {
      let i = 1;
      while (i < w.length && w[i]!.startsWith("-")) i += /^-[tSGw]$/.test(w[i]!) ? 2 : 1;
      w = w.slice(i);
    } else if (p === "ip" && w[1] === "netns" && w[2] === "exec") {
      w = w.slice(4);
    } else if ((p === "docker" || p === "podman") && (w[1] === "exec" || (w[1] === "container" && w[2] === "exec"))) {
      let i = w[1] === "exec" ? 2 : 3;
      while (i < w.length && w[i]!.startsWith("-")) i += /^(-[uewd]|--user|--env|--workdir)$/.test(w[i]!) ? 2 : 1;
      w = w.slice(i + 1); // the container name
    } else if (p === "kubectl" && w[1] === "exec") {
      const dd = w.indexOf("--");
      w = dd >= 0 ? w.slice(dd + 1) : [];
    } else if (p === "sh" || p === "bash") {
      const c = w.indexOf("-c");
      if (c < 0 || c + 1 >= w.length) return w;
      w = shellWords(w[c + 1]!);
    } else return w;
  }
  return w;
}

/** The first command of a pipeline, without redirections. */
export function firstStage(command: string): string {
  let s = command;
  const pipe = s.search(/\s*\|\s*/);
  if (pipe >= 0) s = s.slice(0, pipe);
  return s.replace(/\s+\d?>>?\s*&?\S*/g, "").replace(/\s+2>&1/g, "").trim();
}

/** A path of a file whose content is a capture (`cat /proc/net/tcp6`). */
function fileFormat(path: string): string | null {
  if (/(^|\/)proc\/(?:\d+\/|self\/)?net\/(tcp6?|udp6?|udplite6?|raw6?)$/.test(path)) return "proc-net-tcp";
  if (/(^|\/)proc\/(?:\d+\/|self\/)?net\/(nf|ip)_conntrack$/.test(path)) return "conntrack";
  if (/(^|\/)(etc\/iptables\/rules\.v[46]|etc\/sysconfig\/ip6?tables)$/.test(path)) return "iptables-save";
  if (/(^|\/)etc\/nftables\.conf$/.test(path)) return "nft";
  if (/(^|\/)etc\/docker\/daemon\.json$/.test(path)) return "daemon-json";
  if (/(^|\/)proc\/sys\//.test(path)) return null;
  return null;
}

/** Does a cluster of short options (`-nvL`, `-vnxL`) or a long one name `letter`/`long`? */
const NETSTAT_OTHER_MODES: [string, string][] = [
  ["r", "--route"],
  ["i", "--interfaces"],
  ["s", "--statistics"],
  ["g", "--groups"],
  ["M", "--masquerade"],
];

function hasOption(words: string[], letter: string, long: string): boolean {
  for (const w of words) {
    if (w === long || w.startsWith(`${long}=`)) return true;
    if (/^-[A-Za-z]+$/.test(w) && w.includes(letter)) return true;
  }
  return false;
}

/**
 * The format a command prints, or null when it prints none natlens reads
 * (`docker run`, `curl`) or is not known. `sudo iptables -t nat -nvL` ->
 * `iptables-list`; `ps aux | grep docker-proxy` -> `ps`.
 */
export function commandFormat(command: string): string | null {
  const w = unwrap(shellWords(firstStage(command)));
  if (w.length === 0) return null;
  const p = w[0]!.replace(/^.*\//, "");
  const args = w.slice(1);
  switch (p) {
    case "iptables-save": case "ip6tables-save": case "iptables-legacy-save": case "ip6tables-legacy-save": case "iptables-nft-save": case "ip6tables-nft-save":
      return "iptables-save";
    case "iptables": case "ip6tables": case "iptables-legacy": case "ip6tables-legacy": case "iptables-nft": case "ip6tables-nft":
      if (hasOption(args, "S", "--list-rules")) return "iptables-save";
      if (hasOption(args, "L", "--list")) return "iptables-list";
      return null;
    case "nft":
      return args.includes("list") ? "nft" : null;
    case "ss":
      return "ss";
    case "netstat":
      // routes, interfaces, statistics, groups, masquerade: not a socket listing
      for (const [letter, long] of NETSTAT_OTHER_MODES) if (hasOption(args, letter, long)) return null;
      return "netstat";
    case "ps":
      return "ps";
    case "conntrack":
      return hasOption(args, "L", "--dump") || hasOption(args, "S", "--stats") || hasOption(args, "G", "--get") ? "conntrack" : null;
    case "cat": case "head": case "tail": case "less": case "more": {
      const files = args.filter((a) => !a.startsWith("-"));
      const f = files.length === 1 ? fileFormat(files[0]!) : null;
      if (f) return f;
      // `cat /proc/net/tcp /proc/net/tcp6`: every file the same format
      const all = files.map(fileFormat);
      return all.length > 0 && all.every((x) => x !== null && x === all[0]) ? all[0]! : null;
    }
    case "docker": case "podman": {
      const sub: string[] = [];
      for (let i = 0; i < args.length; i++) {
        const a = args[i]!;
        if (/^(-H|--host|-c|--context|--config|-l|--log-level)$/.test(a)) i++; // a global option and its value
        else if (a === "-q" || a === "--quiet") return null; // ids only
        else if (a === "-f" || a === "--format" || a.startsWith("--format=")) {
          // a Go template prints what it likes; only json and table output are captures
          const v = a.startsWith("--format=") ? a.slice(9) : (args[++i] ?? "");
          if (!/^(json|table|\{\{\s*json)/.test(v)) return null;
        } else if (!a.startsWith("-")) sub.push(a);
      }
      if (sub[0] === "ps" || (sub[0] === "container" && (sub[1] === "ls" || sub[1] === "ps" || sub[1] === "list"))) return "docker-ps";
      if (sub[0] === "inspect" || ((sub[0] === "container" || sub[0] === "network") && sub[1] === "inspect")) return "docker-inspect";
      if (sub[0] === "info" || (sub[0] === "system" && sub[1] === "info")) return p === "docker" ? "docker-info" : null;
      return null;
    }
    case "sysctl":
      return "sysctl";
    case "uname":
      return hasOption(args, "a", "--all") || hasOption(args, "r", "--kernel-release") ? "uname" : null;
    case "ip": {
      const sub = args.filter((a) => !a.startsWith("-"));
      const obj = sub[0] ?? "";
      if (/^(a|ad|add|addr|addre|addres|address|l|li|lin|link)$/.test(obj)) return "ip-addr";
      if (/^(r|ro|rou|rout|route)$/.test(obj)) return "ip-route";
      return null;
    }
    default:
      return null;
  }
}

function program(command: string): string {
  const w = unwrap(shellWords(firstStage(command)));
  return w.length ? w[0]!.replace(/^.*\//, "") : "";
}

/**
 * A bare command line (no prompt) that names a capture command with a shape a
 * data line never has: `cat /proc/net/tcp`, `sudo netstat -tlnp`,
 * `iptables -t nat -L -n -v`, `ps aux | grep docker-proxy`.
 */
function isBareCommand(t: string): boolean {
  const c0 = t.charCodeAt(0);
  // every capture command and wrapper starts with a lower-case letter
  if (c0 < 97 || c0 > 122) return false;
  // `iptables-save v1.8.9 (nf_tables): Could not fetch ...` is a message, not a command
  if (t.length > 1000 || /:\s|\(|\sv\d+\.\d/.test(t)) return false;
  const w0 = firstWord(t);
  if (!CAPTURE_PROGRAMS.has(w0) && w0 !== "sudo" && w0 !== "doas" && w0 !== "nsenter" && w0 !== "watch") return false;
  return commandFormat(t) !== null;
}

/**
 * Is `line` a prompt line (with or without a command), or a bare command
 * line? Leading blanks are allowed. Null for any other line.
 */
export function promptLine(line: string): PromptLine | null {
  let s = 0;
  while (s < line.length && (line.charCodeAt(s) === 32 || line.charCodeAt(s) === 9)) s++;
  const t = s === 0 ? line.trimEnd() : line.slice(s).trimEnd();
  if (t.length === 0) return null;
  const c0 = t.charCodeAt(0);
  if (c0 === 36 /* $ */ && (t.length === 1 || t.charCodeAt(1) === 32)) {
    const command = t.slice(1).trim();
    return { command, style: line.startsWith("$ ") || line === "$" ? "banner" : "prompt" };
  }
  // a cheap filter: every prompt holds one of these signs
  if (!/[$#%>❯λ➜]/.test(t)) return isBareCommand(t) ? { command: t, style: "bare" } : null;
  for (const re of STRONG_PROMPTS) {
    const m = re.exec(t);
    if (m) return { command: (m[2] ?? "").trim(), style: "prompt" };
  }
  if (c0 === 35 && t.charCodeAt(1) === 61 && SCC_HEADER.test(t)) return { command: "", style: "header" };
  const m = WEAK_PROMPT.exec(t);
  if (m) {
    const command = (m[2] ?? "").trim();
    if (command === "") return c0 === 35 && t.length > 1 ? null : { command, style: "prompt" };
    // `# /proc/net/tcp` below a supportconfig `Configuration File` header: the file's content follows
    if (c0 === 35 && FILE_LINE.test(command)) {
      if (fileFormat(command) !== null) return { command: `cat ${command}`, style: "prompt" };
      // `# /proc/net/netstat` is a file, not the netstat program
      if (DATA_DIRS.test(command)) return null;
    }
    const p = program(command);
    const w0 = firstWord(command);
    if (CAPTURE_PROGRAMS.has(p) || OTHER_PROGRAMS.has(p) || OTHER_PROGRAMS.has(w0) || CAPTURE_PROGRAMS.has(w0)) {
      // `# Generated by iptables-save` and `# Warning: ...` are comments: their first word is no command
      return { command, style: "prompt" };
    }
    return null;
  }
  return isBareCommand(t) ? { command: t, style: "bare" } : null;
}

/** A line the poster put in place of removed output, or a note about the paste. */
export interface PosterEdit {
  kind: "elision" | "note" | "markup" | "prompt";
  code: string;
  message: string;
}

const ELISION = /^(?:\d+\s+)?(?:\.{3,}|…+|\[\s*(?:\.{3}|…|snip(?:ped)?)\s*\]|<\s*(?:snip(?:ped)?|\.{3})\s*>|-+\s*snip(?:ped)?\s*-+|\(\s*(?:snip(?:ped)?|\.{3}|…)\s*\))(?:\s.*)?$/i;
/** A whole line in parentheses or brackets that talks about the output (`(some columns are not shown)`). */
const NOTE = /^[([](?=[^)\]]*\b(?:not shown|omitted|removed|truncated|trimmed|redacted|shortened|cut|snip|output|lines?|rows?|columns?|more|rest|etc)\b)[^()[\]"]*[)\]]$/i;
const FENCE = /^(?:```|~~~)[\w-]*$/;

/**
 * Elisions (`...`, `…`, `5  ...`, `[snip]`), notes (`(some columns are not
 * shown)`, `[output truncated]`) and Markdown code fences; null for any other
 * line. Elisions and notes mark output the poster removed.
 */
export function posterEdit(line: string): PosterEdit | null {
  const t = line.trim();
  if (t.length === 0 || t.length > 120) return null;
  const c0 = t.charCodeAt(0);
  if (c0 === 96 || c0 === 126) {
    return FENCE.test(t) ? { kind: "markup", code: "I_PASTE_MARKUP", message: "code fence of the paste, ignored" } : null;
  }
  if ((c0 >= 48 && c0 <= 57) || c0 === 46 || c0 === 0x2026 || c0 === 91 || c0 === 60 || c0 === 45 || c0 === 40) {
    if (ELISION.test(t)) return { kind: "elision", code: "I_ELISION", message: "elision: the poster removed output here, so lines are missing" };
  }
  if ((c0 === 40 || c0 === 91) && NOTE.test(t)) {
    return { kind: "note", code: "I_POSTER_NOTE", message: "note of the poster, not output: some of the output may have been removed or changed" };
  }
  return null;
}

/** First words of the bare command lines isBareCommand can accept. */
const BARE_STARTS = [...CAPTURE_PROGRAMS, "sudo", "doas", "nsenter", "watch"];

/**
 * A cheap test run on every input line before promptLine and posterEdit: false
 * means the line is neither (most data lines of a big dump), without a regex
 * or an allocation.
 */
export function mayBeTranscriptLine(line: string): boolean {
  const n = line.length;
  let s = 0;
  while (s < n && (line.charCodeAt(s) === 32 || line.charCodeAt(s) === 9)) s++;
  if (s >= n) return false;
  const c = line.charCodeAt(s);
  switch (c) {
    case 36: // $
    case 37: // %
    case 62: // >
    case 126: // ~
    case 96: // `
    case 46: // .
    case 60: // <
    case 40: // (
    case 47: // /
      return true;
    case 35: // # : a prompt only when a command follows (`# Generated by` is a comment); `#==[` a supportconfig header
      return n - s > 2 && (line.charCodeAt(s + 1) === 32 || line.charCodeAt(s + 1) === 61);
    case 91: // [ : `[user@host dir]$`, `[...]`; iptables-save -c counters `[0:0] -A` are not
      return line.indexOf("@", s) >= 0 || line.charCodeAt(n - 1) === 93 || line.charCodeAt(n - 1) === 41 || line.indexOf("...", s) >= 0 || line.indexOf("…", s) >= 0;
    case 45: // - : `--snip--`; iptables-save rules `-A` are not
      return line.indexOf("snip", s) >= 0;
  }
  if (c >= 48 && c <= 57) return line.indexOf("...", s) >= 0 || line.indexOf("…", s) >= 0 || line.indexOf("@", s) >= 0;
  if (c >= 0x80) return true;
  if (line.indexOf("@", s) >= 0) return true;
  if (c >= 65 && c <= 90) return line.charCodeAt(s + 1) === 58 || line.startsWith("PS ", s); // C:\> PS C:\>
  if (c >= 97 && c <= 122) {
    // `sh-5.2# `, `bash-5.1$ `, `host:~ user$ `
    const sh = line.indexOf("sh-", s);
    if (sh >= s && sh <= s + 2) return true;
    const colon = line.indexOf(":", s);
    if (colon > s && (line.charCodeAt(colon + 1) === 126 || line.charCodeAt(colon + 1) === 47) && /[$#]/.test(line)) return true;
    for (const w of BARE_STARTS) {
      if (line.startsWith(w, s)) {
        const e = s + w.length;
        if (e === n || line.charCodeAt(e) === 32 || line.charCodeAt(e) === 9) return true;
      }
    }
  }
  return false;
}

/**
 * Does a command line below data start a new section? A `$ command` banner
 * stays in its section unless it names another format than the section's
 * (`sectionFormat`; undefined when unknown): parsers read such banners
 * between concatenated captures, e.g. to learn the next listing's table;
 * null means the section is no format natlens reads, so the banner ends it.
 * Any other prompt or command line starts one, and so does a supportconfig
 * header; a bare prompt never does.
 */
export function startsSection(p: PromptLine, sectionFormat: string | null | undefined): boolean {
  if (p.style === "header") return true;
  if (p.command === "") return false;
  if (p.style !== "banner") return true;
  if (sectionFormat === null) return true;
  const f = commandFormat(p.command);
  return f !== null && sectionFormat !== undefined && f !== sectionFormat;
}
