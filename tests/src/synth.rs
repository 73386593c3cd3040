//! A seeded synthetic catalogue for the codegen benchmarks (`tests/bench/codegen.sh`,
//! `tests/benches/codegen.rs`).
//!
//! [`catalogue`] returns the YAML files of a valid catalogue with the given number of events:
//! one domain file per 50 events (`dom000.yaml`, `dom001.yaml`, ...), each with shared types
//! (an enum, objects), rooms (payload- and user-parameterised), server-to-client events sent to
//! rooms or everyone, client-to-server events with joins, leaves, acks, delivery and rate limits,
//! payloads of 3-8 fields (optional and nullable fields, arrays, maps, named inline objects and
//! enums, references to other domains' types), a few examples, deprecations and migration notes.
//! `dom000.yaml` carries the settings with one constant group.
//!
//! The output depends only on `(events, seed)`. Each domain has its own random stream, so the
//! first domains of a large catalogue are byte-identical to those of a smaller one with the same
//! seed. The PRNG is SplitMix64: fine for synthetic data, never for anything secret.

use std::fmt::Write as _;

/// Events per domain file.
pub const EVENTS_PER_DOMAIN: usize = 50;

/// Marks files this generator wrote (so the CLI only ever deletes its own files).
pub const MARKER: &str = "# Synthetic benchmark catalogue written by switchboard-tests synth_catalogue";

/// One catalogue file: a name relative to the catalogue folder, and its YAML text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthFile {
    /// File name, e.g. `dom003.yaml`.
    pub name: String,
    /// YAML text.
    pub text: String,
}

/// SplitMix64 (Steele, Lea, Flood 2014), hand-rolled so the generator needs no dependency.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A stream from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0; the modulo bias is irrelevant here).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `pct` percent.
    pub fn chance(&mut self, pct: usize) -> bool {
        self.below(100) < pct
    }

    /// One element.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// An index drawn with the given weights.
    fn weighted(&mut self, weights: &[usize]) -> usize {
        let total: usize = weights.iter().sum();
        let mut r = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        weights.len() - 1
    }

    /// `k` distinct elements, in a random order.
    fn sample<'a, T>(&mut self, items: &'a [T], k: usize) -> Vec<&'a T> {
        let mut idx: Vec<usize> = (0..items.len()).collect();
        for i in 0..k.min(idx.len()) {
            let j = i + self.below(idx.len() - i);
            idx.swap(i, j);
        }
        idx.into_iter().take(k).map(|i| &items[i]).collect()
    }
}

const FIELD_NAMES: &[&str] = &[
    "title", "label", "amount", "quantity", "price", "score", "rank", "createdAt", "updatedAt", "expiresAt", "isActive",
    "isPinned", "tags", "notes", "owner", "location", "state", "priority", "category", "currency", "progress", "ratio",
    "attempts", "metadata", "lines", "summary", "reason", "code", "revision", "channel", "detail", "kind", "total",
    "sequence", "sourceId", "targetId", "counts", "extras", "windowMs", "checksum",
];
const CLIENT_VERBS: &[&str] =
    &["created", "updated", "deleted", "moved", "synced", "flagged", "started", "stopped", "scored", "assigned", "expired", "changed"];
const SERVER_VERBS: &[&str] = &["subscribe", "unsubscribe", "submit", "request", "report", "update", "claim", "refresh"];
const STATUS_VALUES: &[&str] = &["pending", "active", "paused", "closed", "archived", "failed", "queued"];
const ENUM_VALUES: &[&str] = &["low", "medium", "high", "urgent", "none", "alpha", "beta", "gamma", "delta"];
const SCALARS: &[&str] = &["string", "integer", "number", "boolean", "datetime"];

/// What a field is; `example` renders a value that matches it.
#[derive(Debug, Clone)]
enum Kind {
    /// A short form with a known example: `string`, `integer | null`, `string[]`, `map<json>`...
    Short(&'static str),
    /// A reference to a shared type of domain `d` (`Status`, `Location`, `Owner`).
    Shared(usize, &'static str),
    /// Long-form string with constraints.
    ConstrainedString,
    /// Long-form integer with a range.
    RangedInteger,
    /// `int64` encoded as a decimal string.
    Int64,
    /// Named inline enum.
    InlineEnum(String, Vec<&'static str>),
    /// Named inline object with scalar fields.
    InlineObject(String, Vec<(&'static str, &'static str, bool)>),
    /// Array of a named inline object.
    ObjectArray(String, Vec<(&'static str, &'static str, bool)>),
}

#[derive(Debug, Clone)]
struct FieldSpec {
    name: String,
    optional: bool,
    kind: Kind,
}

fn dom(d: usize, width: usize) -> String {
    format!("dom{d:0width$}")
}

fn dom_pascal(d: usize, width: usize) -> String {
    format!("Dom{d:0width$}")
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn scalar_example(t: &str) -> &'static str {
    match t {
        "string" => "sample",
        "integer" => "42",
        "number" => "3.5",
        "boolean" => "true",
        "datetime" => "\"2026-01-02T03:04:05Z\"",
        _ => "null",
    }
}

impl Kind {
    fn example(&self, seed: u64) -> String {
        match self {
            Kind::Short(s) => match *s {
                "string[]" => "[a, b]".into(),
                "integer[]" => "[1, 2]".into(),
                "string | null" | "integer | null" | "datetime | null" => "null".into(),
                "map<string>" => "{ a: x }".into(),
                "map<json>" => "{ a: 1, b: [true] }".into(),
                t => scalar_example(t).into(),
            },
            Kind::Shared(d, "Status") => domain_rng(seed, *d).1[0].into(),
            Kind::Shared(_, "Location") => "{ latitude: 12.5, longitude: 77.25 }".into(),
            Kind::Shared(_, "Owner") => "{ id: u_1, displayName: Ada, roles: [admin] }".into(),
            Kind::Shared(..) => "null".into(),
            Kind::ConstrainedString => "abc".into(),
            Kind::RangedInteger => "7".into(),
            Kind::Int64 => "\"9007199254740993\"".into(),
            Kind::InlineEnum(_, values) => values[0].into(),
            Kind::InlineObject(_, fields) => object_example(fields),
            Kind::ObjectArray(_, fields) => format!("[{}]", object_example(fields)),
        }
    }
}

fn object_example(fields: &[(&'static str, &'static str, bool)]) -> String {
    let parts: Vec<String> = fields.iter().map(|(n, t, _)| format!("{n}: {}", scalar_example(t))).collect();
    format!("{{ {} }}", parts.join(", "))
}

/// One domain's generator state.
struct Domain<'a> {
    seed: u64,
    d: usize,
    width: usize,
    rng: SplitMix64,
    out: String,
    status_values: Vec<&'a str>,
}

impl Domain<'_> {
    fn name(&self) -> String {
        dom(self.d, self.width)
    }

    fn pascal(&self) -> String {
        dom_pascal(self.d, self.width)
    }

    fn shared(&self, d: usize, t: &str) -> String {
        format!("{}{t}", dom_pascal(d, self.width))
    }

    /// 3-8 fields minus the `fixed` ones the caller adds (room parameters), at least one.
    fn fields(&mut self, owner: &str, fixed: usize) -> Vec<FieldSpec> {
        let n = self.rng.range(3, 8).saturating_sub(fixed).max(1);
        let names: Vec<&str> = self.rng.sample(FIELD_NAMES, n).into_iter().copied().collect();
        names
            .into_iter()
            .map(|name| {
                let kind = self.kind(owner, name);
                let optional = self.rng.chance(25);
                FieldSpec { name: name.to_string(), optional, kind }
            })
            .collect()
    }

    fn kind(&mut self, owner: &str, field: &str) -> Kind {
        let other = if self.d > 0 { 3 } else { 0 };
        let w = [30, 6, 5, 4, 6, 4, 4, 3, 5, 4, 2, 5, 7, 4, other];
        let inline = format!("{owner}{}", upper_first(field));
        match self.rng.weighted(&w) {
            0 => Kind::Short(self.rng.pick::<&str>(SCALARS)),
            1 => Kind::Short(self.rng.pick::<&str>(&["string[]", "integer[]"])),
            2 => Kind::Short(self.rng.pick::<&str>(&["string | null", "integer | null", "datetime | null"])),
            3 => Kind::Short(self.rng.pick::<&str>(&["map<string>", "map<json>"])),
            4 => Kind::Shared(self.d, "Status"),
            5 => Kind::Shared(self.d, "Location"),
            6 => Kind::Shared(self.d, "Owner"),
            7 => Kind::RangedInteger,
            8 => Kind::ConstrainedString,
            9 => {
                let k = self.rng.range(2, 5);
                Kind::InlineEnum(inline, self.rng.sample(ENUM_VALUES, k).into_iter().copied().collect())
            }
            10 => Kind::Int64,
            11..=13 => {
                let k = self.rng.range(2, 4);
                let names = self.rng.sample(&["id", "name", "value", "count", "at", "flag", "note"], k);
                let fields = names
                    .into_iter()
                    .map(|n| (*n, self.rng.pick(SCALARS), self.rng.chance(20)))
                    .collect();
                if self.rng.chance(40) { Kind::ObjectArray(inline, fields) } else { Kind::InlineObject(inline, fields) }
            }
            _ => {
                let d = self.rng.below(self.d);
                Kind::Shared(d, self.rng.pick(&["Status", "Location", "Owner"]))
            }
        }
    }

    /// Writes `fields` as a YAML mapping body at `indent` spaces.
    fn write_fields(&mut self, fields: &[FieldSpec], indent: usize) {
        let pad = " ".repeat(indent);
        for f in fields {
            let key = format!("{pad}{}{}", f.name, if f.optional { "?" } else { "" });
            let out = &mut self.out;
            match &f.kind {
                Kind::Short(s) => writeln!(out, "{key}: {s}").unwrap(),
                Kind::Shared(d, t) => {
                    let name = format!("{}{t}", dom_pascal(*d, self.width));
                    writeln!(out, "{key}: {name}").unwrap()
                }
                Kind::ConstrainedString => {
                    writeln!(out, "{key}:\n{pad}  type: string\n{pad}  min_length: 1\n{pad}  max_length: 256\n{pad}  description: Free text shown to the user, at most 256 characters.").unwrap()
                }
                Kind::RangedInteger => {
                    writeln!(out, "{key}: {{ type: integer, minimum: 0, maximum: 1000000, description: A count. }}").unwrap()
                }
                Kind::Int64 => writeln!(out, "{key}: {{ type: int64, encoding: string }}").unwrap(),
                Kind::InlineEnum(name, values) => {
                    writeln!(out, "{key}:\n{pad}  name: {name}\n{pad}  description: One of a few fixed values.\n{pad}  enum: [{}]", values.join(", ")).unwrap()
                }
                Kind::InlineObject(name, sub) => {
                    writeln!(out, "{key}:\n{pad}  name: {name}\n{pad}  fields:").unwrap();
                    for (n, t, opt) in sub {
                        writeln!(out, "{pad}    {n}{}: {t}", if *opt { "?" } else { "" }).unwrap();
                    }
                }
                Kind::ObjectArray(name, sub) => {
                    writeln!(out, "{key}:\n{pad}  type: array\n{pad}  max_items: 100\n{pad}  items:\n{pad}    name: {name}\n{pad}    fields:").unwrap();
                    for (n, t, opt) in sub {
                        writeln!(out, "{pad}      {n}{}: {t}", if *opt { "?" } else { "" }).unwrap();
                    }
                }
            }
        }
    }

    /// An example with every field (room parameters first), as a YAML block at `indent`.
    fn write_example(&mut self, params: &[&str], fields: &[FieldSpec], indent: usize) {
        let pad = " ".repeat(indent);
        writeln!(self.out, "{pad}example:").unwrap();
        for p in params {
            writeln!(self.out, "{pad}  {p}: {}_1", p.trim_end_matches("Id")).unwrap();
        }
        for f in fields {
            writeln!(self.out, "{pad}  {}: {}", f.name, f.kind.example(self.seed)).unwrap();
        }
    }

    fn header(&mut self) {
        let (name, pascal) = (self.name(), self.pascal());
        let d = self.d;
        let o = &mut self.out;
        writeln!(o, "# yaml-language-server: $schema=./catalogue.schema.json").unwrap();
        writeln!(o, "{MARKER}.").unwrap();
        writeln!(o, "domain: {name}").unwrap();
        writeln!(o, "title: Domain {d}").unwrap();
        writeln!(o, "description: |\n  Synthetic domain {d}. Entities of this domain are tracked in their own rooms;\n  clients subscribe with acks and send updates.").unwrap();
        writeln!(o, "constants: [SynthEvents]\n").unwrap();
        if d == 0 {
            writeln!(o, "settings:\n  catalogue: synth\n  namespace: /\n  constants:\n    SynthEvents:\n      description: Every synthetic event.\n      extra:\n        CONNECT: connect\n        DISCONNECT: disconnect\n").unwrap();
        }
        writeln!(o, "types:").unwrap();
        writeln!(o, "  {pascal}Status:\n    description: Lifecycle status of a {name} entity.\n    enum: [{}]", self.status_values.join(", ")).unwrap();
        writeln!(o, "  {pascal}Location:\n    description: A point on the map.\n    fields:\n      latitude: {{ type: number, minimum: -90, maximum: 90 }}\n      longitude: {{ type: number, minimum: -180, maximum: 180 }}\n      address?:\n        type: string\n        description: Street address, when known.").unwrap();
        writeln!(o, "  {pascal}Owner:\n    description: Who owns an entity.\n    fields:\n      id: string\n      displayName: {{ type: string, max_length: 80 }}\n      avatarUrl?: string | null\n      roles: string[]").unwrap();
        writeln!(o, "  {pascal}Ack:\n    description: Generic acknowledgement.\n    fields:\n      ok: boolean\n      error?: string\n      serverTime: datetime\n").unwrap();
        writeln!(o, "rooms:").unwrap();
        writeln!(o, "  {name}_entity:\n    description: Everyone following one entity; the application decides who may join.\n    name: {name}-entity-{{entityId}}\n    access: app").unwrap();
        writeln!(o, "  {name}_group:\n    description: A group of entities any signed-in user may follow.\n    name: {name}-group-{{groupId}}\n    access: authenticated").unwrap();
        writeln!(o, "  {name}_feed:\n    description: The user's own feed of this domain.\n    name: {name}-feed-{{userId}}\n    params: {{ userId: user }}\n    access: self\n").unwrap();
        writeln!(o, "events:").unwrap();
    }

    fn event(&mut self, j: usize, previous: Option<&str>) -> String {
        let (name, pascal) = (self.name(), self.pascal());
        let r = self.rng.below(100);
        let (client, server) = match r {
            0..60 => (true, false),
            60..85 => (false, true),
            _ => (true, true),
        };
        let verb = if client && !server { self.rng.pick(CLIENT_VERBS) } else { self.rng.pick(SERVER_VERBS) };
        let wire = format!("{name}:ev{j:03}_{verb}");
        let owner = format!("{pascal}Ev{j:03}");
        writeln!(self.out, "  {wire}:").unwrap();
        writeln!(self.out, "    description: Synthetic event {j} of {name} ({verb}).").unwrap();
        if let Some(prev) = previous.filter(|_| self.rng.chance(4)) {
            writeln!(self.out, "    deprecated: {{ since: \"2.{}\", replacement: \"{prev}\", note: Use the newer event. }}", j % 10).unwrap();
        }
        if client {
            writeln!(self.out, "    to_client:").unwrap();
            let t = self.rng.below(100);
            if t < 10 {
                // A shared payload type, like `OrderStatusUpdate` in the real catalogue.
                let ty = self.shared(self.d, "Owner");
                writeln!(self.out, "      payload: {ty}\n      to: {name}_feed").unwrap();
            } else {
                let (to, params): (String, Vec<&str>) = match t {
                    10..50 => (format!("{name}_entity"), vec!["entityId"]),
                    50..65 => (format!("[{name}_entity, {name}_group]"), vec!["entityId", "groupId"]),
                    65..85 => (format!("{name}_feed"), vec![]),
                    _ => ("everyone".into(), vec![]),
                };
                let fields = self.fields(&format!("{owner}Payload"), params.len());
                writeln!(self.out, "      name: {owner}Payload\n      to: {to}\n      payload:").unwrap();
                for p in &params {
                    writeln!(self.out, "        {p}: string").unwrap();
                }
                self.write_fields(&fields, 8);
                if self.rng.chance(10) {
                    self.write_example(&params, &fields, 6);
                }
            }
        }
        if server {
            writeln!(self.out, "    to_server:").unwrap();
            let action = self.rng.below(100);
            let params: Vec<&str> = if action < 50 { vec!["entityId"] } else { vec![] };
            let fields = self.fields(&format!("{owner}Request"), params.len());
            writeln!(self.out, "      name: {owner}Request\n      payload:").unwrap();
            for p in &params {
                writeln!(self.out, "        {p}: {{ type: string, min_length: 1, max_length: 128 }}").unwrap();
            }
            self.write_fields(&fields, 8);
            match action {
                0..35 => writeln!(self.out, "      joins: {name}_entity").unwrap(),
                35..50 => writeln!(self.out, "      leaves: {name}_entity").unwrap(),
                50..55 => writeln!(self.out, "      leaves_all: {name}_group").unwrap(),
                _ => {}
            }
            match self.rng.below(100) {
                0..30 => {
                    let ack = self.fields(&format!("{owner}Ack"), 0);
                    writeln!(self.out, "      ack_name: {owner}Ack\n      ack:").unwrap();
                    self.write_fields(&ack, 8);
                }
                30..50 => writeln!(self.out, "      ack: {}", self.shared(self.d, "Ack")).unwrap(),
                _ => {}
            }
            let delivery = if self.rng.chance(20) { "volatile" } else { "reliable" };
            writeln!(self.out, "      delivery: {delivery}").unwrap();
            // Events the server also sends (both directions) always get a limit, as the
            // generator's `unlimited-fan-out` warning asks.
            if self.rng.chance(60) || client {
                let rate = self.rng.pick(&["5/s", "10/s", "20/s", "60/min", "600/min"]);
                writeln!(self.out, "      rate_limit: {rate}").unwrap();
            }
            if self.rng.chance(10) {
                writeln!(self.out, "      max_bytes: {}", 1024 * self.rng.range(4, 64)).unwrap();
            }
        }
        writeln!(self.out).unwrap();
        wire
    }
}

/// Domain `d`'s random stream, after drawing the values of its status enum.
fn domain_rng(seed: u64, d: usize) -> (SplitMix64, Vec<&'static str>) {
    let mut rng = SplitMix64::new(seed ^ (d as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
    let k = rng.range(3, 6);
    let values = rng.sample(STATUS_VALUES, k).into_iter().copied().collect();
    (rng, values)
}

/// The files of a synthetic catalogue with `events` events (at least 1), for `seed`.
pub fn catalogue(events: usize, seed: u64) -> Vec<SynthFile> {
    let events = events.max(1);
    let domains = events.div_ceil(EVENTS_PER_DOMAIN);
    let width = domains.saturating_sub(1).to_string().len().max(3);
    let mut files = Vec::with_capacity(domains);
    for d in 0..domains {
        let count = (events - d * EVENTS_PER_DOMAIN).min(EVENTS_PER_DOMAIN);
        let (rng, status_values) = domain_rng(seed, d);
        let mut g = Domain { seed, d, width, rng, out: String::with_capacity(count * 700), status_values };
        g.header();
        let mut wires: Vec<String> = Vec::with_capacity(count);
        for j in 0..count {
            let w = g.event(j, wires.last().map(String::as_str));
            wires.push(w);
        }
        if count >= 2 {
            let picked: Vec<String> = g.rng.sample(&wires, 2).into_iter().cloned().collect();
            writeln!(g.out, "migrations:\n  - title: {} payloads changed\n    events: [{}]\n    note: |\n      Synthetic migration note: clients should read the new fields.", g.pascal(), picked.join(", ")).unwrap();
        }
        files.push(SynthFile { name: format!("{}.yaml", dom(d, width)), text: g.out });
    }
    files
}

/// [`catalogue`] as the lowering input.
pub fn source_files(events: usize, seed: u64) -> Vec<switchboard::schema::lower::SourceFile> {
    catalogue(events, seed)
        .into_iter()
        .map(|f| switchboard::schema::lower::SourceFile { name: f.name, text: f.text })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_reference_sequence() {
        // First outputs for seed 1234567 from the reference C implementation.
        let mut r = SplitMix64::new(1234567);
        assert_eq!(r.next_u64(), 6457827717110365317);
        assert_eq!(r.next_u64(), 3203168211198807973);
    }

    #[test]
    fn sizes_are_exact_and_prefixes_are_shared() {
        let small = catalogue(120, 7);
        assert_eq!(small.len(), 3);
        let big = catalogue(500, 7);
        assert_eq!(big.len(), 10);
        assert_eq!(small[0], big[0]);
        assert_eq!(small[1], big[1]);
        let events = |f: &SynthFile| f.text.lines().filter(|l| l.starts_with("  ") && !l.starts_with("   ") && l.contains(":ev")).count();
        assert_eq!(small.iter().map(events).sum::<usize>(), 120);
    }
}
