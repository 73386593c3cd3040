//! Every diagnostic code, with its severity and what it means. The strings are stable: tools
//! and snapshots match them. `codegen/FORMAT.md` carries the table [`table`] writes.

use super::diagnostic::Severity;

/// Declares the codes once: the enum, the stable strings and the one-line meanings.
macro_rules! codes {
    ($( $variant:ident = $code:literal, $meaning:literal; )*) => {
        /// A stable diagnostic code; [`Code::as_str`] is what users and tools see.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Code {
            $( #[doc = $meaning] $variant, )*
        }

        impl Code {
            /// Every code, in the order the table lists them.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The stable string, e.g. `unknown-key`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            /// One line saying what the code reports.
            pub fn meaning(self) -> &'static str {
                match self { $( Code::$variant => $meaning, )* }
            }
        }
    };
}

codes! {
    YamlSyntax = "yaml-syntax", "A file is not valid YAML.";
    DuplicateKey = "duplicate-key", "A mapping gives the same key twice.";
    TooDeep = "too-deep", "Mappings, lists or a type expression nest more than 32 levels deep.";
    EmptyCatalogue = "empty-catalogue", "The catalogue folder has no files.";
    EmptyFile = "empty-file", "A catalogue file has no content.";
    UnsupportedFormat = "unsupported-format", "A file's `format` is not a catalogue format version this Switchboard reads (1).";
    ExpectedMapping = "expected-mapping", "A value must be a mapping and is not.";
    ExpectedString = "expected-string", "A value or name must be a string and is not (a YAML null key included).";
    ExpectedInteger = "expected-integer", "A value must be a whole number >= 0.";
    ExpectedNumber = "expected-number", "A value must be a number.";
    ExpectedBoolean = "expected-boolean", "A value must be true or false.";
    ExpectedList = "expected-list", "A value must be a list.";
    InvalidKey = "invalid-key", "A mapping key is not a string.";
    UnknownKey = "unknown-key", "A mapping has a key the format does not define.";
    MissingKey = "missing-key", "A required key is missing.";
    ConflictingKeys = "conflicting-keys", "Keys that cannot go together, or a key that does not apply here.";
    InvalidIdentifier = "invalid-identifier", "A name cannot become an identifier in every target.";
    ReservedWord = "reserved-word", "A type name is reserved in Rust or TypeScript.";
    ReservedName = "reserved-name", "A room id is reserved (`everyone`).";
    ReservedEvent = "reserved-event", "An event name is reserved by Socket.IO.";
    ReservedMember = "reserved-member", "An event's derived Rust method is one the generated code already has (`Emitter::new`, `Client::connect`, ...).";
    DuplicateName = "duplicate-name", "A domain, type, room, event, field, enum value or target room is declared twice.";
    NameCollision = "name-collision", "Two names become the same generated identifier or constant.";
    DuplicateSettings = "duplicate-settings", "More than one file has `settings`.";
    InvalidNamespace = "invalid-namespace", "The namespace does not start with `/`.";
    InvalidValue = "invalid-value", "A value is outside what its key accepts.";
    InvalidDeprecated = "invalid-deprecated", "`deprecated` is not true, a note or `{ since, replacement, note }`.";
    UnknownConstantGroup = "unknown-constant-group", "A constant group is used, or extended, before it is declared.";
    InvalidTemplate = "invalid-template", "A room name template is malformed.";
    UnknownRoomParam = "unknown-room-param", "`params` names something that is not a parameter of the room's template.";
    InvalidAccess = "invalid-access", "A room's access policy is missing or unknown, or needs a parameter from the user.";
    UnknownRoom = "unknown-room", "A room is named but not declared.";
    InvalidType = "invalid-type", "A type expression is not a catalogue type.";
    IntegerPolicy = "integer-policy", "A 64-bit integer has no wire encoding, or an integer bound is outside the JavaScript-safe range.";
    InvalidEnum = "invalid-enum", "An enum is not a non-empty list of strings.";
    DefaultOnRequired = "default-on-required", "A required field has a default, which would never apply.";
    ConstraintMismatch = "constraint-mismatch", "A constraint does not apply to its type, or its bounds contradict each other.";
    InvalidPattern = "invalid-pattern", "A `pattern` is not a valid regular expression.";
    MissingDirection = "missing-direction", "An event has neither `to_client` nor `to_server`.";
    DirectionMismatch = "direction-mismatch", "A key belongs to the other direction, or clients join or leave an automatic room.";
    InvalidPayload = "invalid-payload", "A payload or ack is not an object type, a `value:` payload is not one scalar, or a reliable event other than a room join or leave has a `value:`.";
    MissingTarget = "missing-target", "A server-to-client event has no `to:`, or an empty one.";
    InvalidTarget = "invalid-target", "`everyone` is combined with rooms in `to:`.";
    ExampleMismatch = "example-mismatch", "An example or default does not match its type, or there is no payload for it.";
    UnknownEvent = "unknown-event", "A migration note or the heartbeat names an event that is not declared.";
    InvalidHeartbeat = "invalid-heartbeat", "The heartbeat event has no client-to-server side, or its payload is not `{ timestamp }`.";
    InvalidRecovery = "invalid-recovery", "`recover` cannot apply: there is no `settings.recovery`, the event goes to everyone (no room history), or it is volatile.";
    UnknownType = "unknown-type", "A type is named but not declared.";
    TypeCycle = "type-cycle", "A recursive type that no finite value or no target can handle.";
    TooManyFields = "too-many-fields", "An object type has more than 256 fields.";
    RoomParamMissing = "room-param-missing", "An event joins or leaves a room whose parameter its payload does not carry.";
    RoomParamType = "room-param-type", "A payload field that names a room is not a required string, integer or enum.";
    UnlimitedFanOut = "unlimited-fan-out", "A client-to-server event that the server also sends to a room (it has both directions) has no `rate_limit`: one client could flood every member.";
}

impl Code {
    /// How bad the code is: a warning lets generation go on.
    pub fn severity(self) -> Severity {
        match self {
            Code::UnlimitedFanOut => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The Markdown table of every code, as `codegen/FORMAT.md` carries it between its markers.
pub fn table() -> String {
    let mut out = String::from("| Code | Severity | Meaning |\n|---|---|---|\n");
    for c in Code::ALL {
        let severity = match c.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out.push_str(&format!("| `{}` | {severity} | {} |\n", c.as_str(), c.meaning().replace('|', "\\|")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: &str = "<!-- diagnostic-codes:start (generated from codegen/src/schema/codes.rs) -->\n";
    const END: &str = "<!-- diagnostic-codes:end -->";

    /// FORMAT.md lists every code as `table` writes it; `UPDATE_FORMAT_MD=1` rewrites it.
    #[test]
    fn format_md_lists_every_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/FORMAT.md");
        let text = std::fs::read_to_string(path).expect("read FORMAT.md");
        let (Some(a), Some(b)) = (text.find(START), text.find(END)) else { panic!("FORMAT.md lacks the diagnostic-codes markers") };
        let want = format!("{START}{}{END}", table());
        if text[a..b + END.len()] == want {
            return;
        }
        if std::env::var_os("UPDATE_FORMAT_MD").is_some() {
            std::fs::write(path, format!("{}{want}{}", &text[..a], &text[b + END.len()..])).expect("write FORMAT.md");
            return;
        }
        panic!("the diagnostic code table in codegen/FORMAT.md is stale; refresh it with `UPDATE_FORMAT_MD=1 cargo test -p switchboard --lib codes`");
    }

    /// The field limit written as text (this meaning, the format schema's `maxProperties`) is
    /// the one lowering derives from the runtime's slot groups.
    #[test]
    fn the_written_field_limit_is_the_runtimes() {
        let max = switchboard_runtime::__de::GROUP * switchboard_runtime::__de::GROUP;
        assert!(Code::TooManyFields.meaning().contains(&format!("more than {max} fields")));
        assert_eq!(crate::format_schema().matches(&format!("\"maxProperties\": {max}")).count(), 2);
    }

    #[test]
    fn codes_are_unique_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{c} twice");
            assert!(c.as_str().chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'), "{c}");
        }
    }
}
