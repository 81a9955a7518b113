/**
 * A strict XML 1.0 well-formedness parser for the TwiML tests (no XML library is among the dependencies):
 * one root element, attributes and text decoded exactly, anything malformed thrown with where it broke.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: (XmlElement | string)[];
}

const NAME = /^[A-Za-z_:][A-Za-z0-9._:-]*/;
const PREDEFINED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** Decodes references in text or an attribute value; throws on a bare `&`, an unknown entity or a bad char. */
function decode(raw: string, where: string): string {
  for (const ch of raw) {
    const cp = ch.codePointAt(0) ?? 0;
    if (!isXmlChar(cp) || (cp >= 0xd800 && cp <= 0xdfff))
      throw new Error(`${where}: U+${cp.toString(16)} is not an XML char`);
  }
  return raw.replace(/&([^;]*);?/g, (whole, ref: string) => {
    if (!whole.endsWith(";")) throw new Error(`${where}: bare & in ${JSON.stringify(raw)}`);
    const numeric = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(ref);
    if (numeric?.[1]) {
      const cp = numeric[1].startsWith("x") ? parseInt(numeric[1].slice(1), 16) : parseInt(numeric[1], 10);
      if (!isXmlChar(cp)) throw new Error(`${where}: &#${numeric[1]}; is not an XML char`);
      return String.fromCodePoint(cp);
    }
    const named = PREDEFINED[ref];
    if (named === undefined) throw new Error(`${where}: unknown entity &${ref};`);
    return named;
  });
}

/** Strict parse of a document: optional declaration, one root element, no comments/CDATA/DTD. */
export function parseXml(input: string): XmlElement {
  // XML end-of-line handling comes first: CRLF and lone CR in the raw text become LF.
  const doc = input.replace(/\r\n?/g, "\n");
  let pos = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at ${pos}: ${JSON.stringify(doc.slice(pos, pos + 30))}`);
  };
  const skipSpace = () => {
    while (/[ \t\r\n]/.test(doc[pos] ?? "")) pos++;
  };
  const name = (): string => {
    const m = NAME.exec(doc.slice(pos));
    if (!m) return fail("expected a name");
    pos += m[0].length;
    return m[0];
  };
  const element = (): XmlElement => {
    if (doc[pos] !== "<") fail("expected <");
    pos++;
    const tag = name();
    const attrs: Record<string, string> = {};
    for (;;) {
      const before = pos;
      skipSpace();
      if (doc.startsWith("/>", pos)) {
        pos += 2;
        return { name: tag, attrs, children: [] };
      }
      if (doc[pos] === ">") {
        pos++;
        break;
      }
      if (pos === before) fail("expected whitespace before an attribute");
      const attr = name();
      if (attr in attrs) fail(`duplicate attribute ${attr}`);
      if (doc[pos] !== "=") fail("expected =");
      const quote = doc[pos + 1];
      if (quote !== '"' && quote !== "'") return fail("expected a quoted value");
      const end = doc.indexOf(quote, pos + 2);
      if (end < 0) fail("unterminated attribute");
      const raw = doc.slice(pos + 2, end);
      if (raw.includes("<")) fail("< in an attribute value");
      // XML attribute-value normalisation: literal whitespace characters become spaces.
      attrs[attr] = decode(raw.replace(/[\t\n\r]/g, " "), `@${attr}`);
      pos = end + 1;
    }
    const children: (XmlElement | string)[] = [];
    for (;;) {
      if (pos >= doc.length) fail(`unclosed <${tag}>`);
      if (doc.startsWith("</", pos)) {
        pos += 2;
        if (name() !== tag) fail(`mismatched end tag for <${tag}>`);
        skipSpace();
        if (doc[pos] !== ">") fail("expected >");
        pos++;
        return { name: tag, attrs, children };
      }
      if (doc.startsWith("<!", pos) || doc.startsWith("<?", pos)) fail("comments, CDATA, DTD and PIs are not expected");
      if (doc[pos] === "<") {
        children.push(element());
        continue;
      }
      const next = doc.indexOf("<", pos);
      const raw = doc.slice(pos, next < 0 ? doc.length : next);
      if (raw.includes("]]>")) fail("]]> in text");
      children.push(decode(raw, `<${tag}> text`));
      pos += raw.length;
    }
  };
  const declaration = /^<\?xml version="1\.0" encoding="UTF-8"\?>/.exec(doc);
  if (declaration) pos = declaration[0].length;
  skipSpace();
  const root = element();
  skipSpace();
  if (pos !== doc.length) fail("content after the root element");
  return root;
}

export function textOf(node: XmlElement): string {
  return node.children.map((c) => (typeof c === "string" ? c : textOf(c))).join("");
}

export function child(node: XmlElement, index: number): XmlElement {
  const c = node.children[index];
  if (c === undefined || typeof c === "string") throw new Error(`no element child ${index} in <${node.name}>`);
  return c;
}
