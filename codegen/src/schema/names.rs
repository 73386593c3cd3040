//! Casing and keyword escaping for every target, in one place (like prost's ident.rs).

use heck::{ToLowerCamelCase, ToPascalCase, ToShoutySnakeCase, ToSnakeCase};

/// Rust keywords (strict and reserved, 2024 edition).
const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
    "where", "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv", "try",
    "typeof", "unsized", "virtual", "yield",
];

/// Keywords `r#` cannot escape.
const RUST_NOT_RAW: &[&str] = &["crate", "self", "Self", "super", "_"];

/// Type names that would shadow what generated Rust uses.
const RUST_RESERVED_TYPES: &[&str] = &[
    "Self", "Option", "Result", "String", "Vec", "Box", "Some", "None", "Ok", "Err", "Value", "BTreeMap",
    "Serialize", "Deserialize", "Default", "Clone", "Debug", "PartialEq", "Send", "Sync", "Validate",
];

/// Names a TypeScript type cannot take, or that would shadow a global the output uses.
const TS_RESERVED_TYPES: &[&str] = &[
    "any", "unknown", "never", "void", "undefined", "null", "string", "number", "boolean", "bigint",
    "symbol", "object", "Object", "String", "Number", "Boolean", "Array", "Record", "Date", "Error",
    "Function", "Promise", "Map", "Set", "Partial", "Readonly", "JSON", "Symbol", "BigInt",
    "AckResponse", "AckError", "Socket", "ServerToClientEvents", "ClientToServerEvents", "ServerToClientEventName",
    "ClientToServerEventName", "ServerToClientPayloads", "ClientToServerPayloads", "ClientToServerAcks",
    "ClientToServerEventsWithAck", "AckErrorCode",
    // Reserved words.
    "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else",
    "enum", "export", "extends", "false", "finally", "for", "function", "if", "import", "in",
    "instanceof", "new", "return", "super", "switch", "this", "throw", "true", "try", "typeof", "var",
    "while", "with", "implements", "interface", "let", "package", "private", "protected", "public",
    "static", "yield", "type", "keyof", "readonly", "as", "is", "infer", "declare", "namespace",
];

/// Is `s` a plain ASCII identifier (letters, digits, `_`, not starting with a digit)?
pub fn is_ascii_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Is `s` a valid type name for every target (PascalCase ASCII identifier)?
pub fn is_type_name(s: &str) -> bool {
    is_ascii_ident(s) && s.starts_with(|c: char| c.is_ascii_uppercase())
}

/// Why a type name cannot be used in some target, if it cannot.
pub fn reserved_type_name(s: &str) -> Option<&'static str> {
    if RUST_RESERVED_TYPES.contains(&s) {
        return Some("Rust");
    }
    if TS_RESERVED_TYPES.contains(&s) {
        return Some("TypeScript");
    }
    None
}

/// The names a TypeScript snippet declares at its top level with `export` (`interface`, `type`,
/// `class`, `enum`, `const`, `let`, `function`), so catalogue types cannot shadow them.
pub fn ts_exports(ts: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in ts.lines() {
        let Some(rest) = line.strip_prefix("export ") else { continue };
        let rest = rest.trim_start().strip_prefix("declare ").unwrap_or(rest.trim_start());
        let mut words = rest.split_whitespace();
        let kind = words.next().unwrap_or_default();
        if !["interface", "type", "class", "enum", "const", "let", "function"].contains(&kind) {
            continue;
        }
        let name: String = words.next().unwrap_or_default().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '$').collect();
        if !name.is_empty() {
            out.push(name);
        }
    }
    out
}

/// Prefixes `_` when the name starts with a digit (`1st` -> `_1st`).
fn no_leading_digit(s: String) -> String {
    if s.starts_with(|c: char| c.is_ascii_digit()) { format!("_{s}") } else { s }
}

/// A snake_case Rust identifier for a wire name, escaped: `type` -> `r#type`, `self` -> `self_`,
/// `1st` -> `_1st`, `userId` -> `user_id`. Returns None when nothing is left (e.g. `:::`).
pub fn rust_snake(wire: &str) -> Option<String> {
    let base = no_leading_digit(wire.to_snake_case());
    if base.is_empty() || !is_ascii_ident(&base) {
        return None;
    }
    Some(escape_rust(base))
}

/// Escapes a Rust keyword: `r#kw`, or `kw_` for the ones `r#` cannot take.
pub fn escape_rust(ident: String) -> String {
    if RUST_NOT_RAW.contains(&ident.as_str()) {
        format!("{ident}_")
    } else if RUST_KEYWORDS.contains(&ident.as_str()) {
        format!("r#{ident}")
    } else {
        ident
    }
}

/// The identifier without a raw prefix (`r#type` -> `type`), for building other names.
pub fn unraw(ident: &str) -> &str {
    ident.strip_prefix("r#").unwrap_or(ident)
}

/// PascalCase for a wire name or snake identifier; `1st` -> `E1st` (a type cannot start with `_`
/// without a lint).
pub fn pascal(wire: &str) -> String {
    let p = wire.to_pascal_case();
    if p.starts_with(|c: char| c.is_ascii_digit()) { format!("E{p}") } else { p }
}

/// SCREAMING_SNAKE constant key for a wire name (`stock:updated` -> `STOCK_UPDATED`).
pub fn const_key(wire: &str) -> String {
    no_leading_digit(wire.to_shouty_snake_case())
}

/// Rust enum variant for a wire value (`all-time` -> `AllTime`, `IN_STOCK` -> `InStock`).
pub fn variant(wire: &str) -> Option<String> {
    let p = pascal(wire);
    if p.is_empty() || !is_ascii_ident(&p) { None } else { Some(if p == "Self" { "Self_".into() } else { p }) }
}

/// A TypeScript property key: bare when an identifier, single-quoted otherwise.
pub fn ts_key(wire: &str) -> String {
    // `$` is allowed in TS identifiers; `is_ascii_ident` rejects digits first and empty keys.
    if is_ascii_ident(&wire.replace('$', "_")) {
        wire.to_string()
    } else {
        ts_string(wire)
    }
}

/// A single-quoted TypeScript string literal.
pub fn ts_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

// Names the emitters derive from the catalogue's. Each rule lives here once, so every target
// spells a generated name the same way.

/// The `&str` constant of an event's wire name in Rust (`chat_send` -> `CHAT_SEND`).
pub fn event_const(ident: &str) -> String {
    unraw(ident).to_uppercase()
}

/// The server function adding a domain's client events to the table (`flash_sale` ->
/// `__route_flash_sale`); the `__` prefix keeps it apart from the catalogue's names. Domain
/// names are unique snake_case identifiers (lowering checks), so this is one name per domain;
/// lowercasing their PascalCase gave `flash_sale` and `flashsale` the same function.
pub fn route_fn(domain: &str) -> String {
    format!("__route_{domain}")
}

/// The Rust client's listener of a server event (`chat_message` -> `on_chat_message`; a
/// leading `_` is dropped so `_1st` gives `on_1st`).
pub fn listener(ident: &str) -> String {
    format!("on_{}", unraw(ident).trim_start_matches('_'))
}

/// The generated `server::Emitter`'s own methods (`clone`: it derives `Clone`, and an inherent
/// `clone` would shadow it); its other methods are the idents of the server-to-client events.
pub const EMITTER_MEMBERS: &[&str] = &["new", "clone"];

/// The generated `client::Client`'s own methods (`clone` as for the emitter); its other methods
/// are the idents of the client-to-server events and the [`listener`]s of the server-to-client
/// ones.
pub const CLIENT_MEMBERS: &[&str] = &["config", "connect", "connect_with_provider", "raw", "clone"];

/// The Rust struct of a room (`Order` -> `OrderRoom`), from the room's PascalCase id.
pub fn room_type(room_pascal: &str) -> String {
    format!("{room_pascal}Room")
}

/// The handler hook deciding joins of an `access: app` room (`order` -> `may_join_order`).
pub fn may_join(room_ident: &str) -> String {
    format!("may_join_{}", unraw(room_ident))
}

/// The handler trait of a domain's client events (`flash_sale` -> `FlashSaleHandlers`).
pub fn handlers_trait(domain: &str) -> String {
    format!("{}Handlers", pascal(domain))
}

/// The serde default function of an optional field with a default (`Cart`, `qty` ->
/// `__default_cart_qty`).
pub fn default_fn(type_name: &str, field_ident: &str) -> String {
    format!("__default_{}_{}", type_name.to_lowercase(), unraw(field_ident))
}

/// The setter of an optional field on a generated Rust struct (`note` -> `with_note`,
/// `r#type` -> `with_type`, `_1st` -> `with_1st`). Struct fields and methods live in separate
/// namespaces and every other inherent method is `new`, so setters cannot collide: distinct
/// fields give distinct setters (only a leading digit gives a leading `_`).
pub fn setter(field_ident: &str) -> String {
    format!("with_{}", unraw(field_ident).trim_start_matches('_'))
}

/// The TypeScript callback type of a server payload named `XPayload` (`XCallback`), as the app
/// names them; None for other names.
pub fn ts_callback(type_name: &str) -> Option<String> {
    type_name.strip_suffix("Payload").map(|base| format!("{base}Callback"))
}

/// The TypeScript client's own members (`runtime/ts/realtime-core.ts`); a derived event method
/// with one of these names would shadow it. Internals start with `_`, which no derived name does.
pub const TS_CLIENT_MEMBERS: &[&str] = &[
    "on", "connect", "disconnect", "retry", "resume", "attachAppState", "updateAuthToken", "getState",
    "onStateChange", "getQueueSize", "clearQueue", "processMessageQueue", "onDropped", "onResyncRequired", "constructor",
];

/// The TypeScript client's sender of a client event: lowerCamelCase of the identifier
/// (`chat_send_message` -> `chatSendMessage`); a leading digit gets `e` (`_1st` -> `e1st`), so no
/// derived name starts with `_` like the runtime's internals.
pub fn ts_sender(ident: &str) -> String {
    let c = unraw(ident).to_lower_camel_case();
    if c.starts_with(|ch: char| ch.is_ascii_digit()) { format!("e{c}") } else { c }
}

/// The TypeScript client's listener of a server event: `on` + PascalCase of the identifier
/// (`chat_message` -> `onChatMessage`).
pub fn ts_listener(ident: &str) -> String {
    format!("on{}", unraw(ident).to_pascal_case())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_snake_table() {
        let table = [
            ("userId", "user_id"),
            ("type", "r#type"),
            ("self", "self_"),
            ("Self", "self_"),
            ("enum", "r#enum"),
            ("default", "default"),
            ("1st", "_1st"),
            ("user:join", "user_join"),
            ("user-join", "user_join"),
            ("chat:send_message", "chat_send_message"),
            ("stock:outofstock", "stock_outofstock"),
            ("super", "super_"),
            ("crate", "crate_"),
            ("async", "r#async"),
        ];
        for (wire, want) in table {
            assert_eq!(rust_snake(wire).as_deref(), Some(want), "{wire}");
        }
        assert_eq!(rust_snake(":::"), None);
    }

    #[test]
    fn pascal_const_and_variant_table() {
        assert_eq!(pascal("chat:typing"), "ChatTyping");
        assert_eq!(pascal("1st"), "E1st");
        assert_eq!(const_key("stock:updated"), "STOCK_UPDATED");
        assert_eq!(const_key("1st"), "_1ST");
        assert_eq!(variant("all-time").as_deref(), Some("AllTime"));
        assert_eq!(variant("IN_STOCK").as_deref(), Some("InStock"));
        assert_eq!(variant("self").as_deref(), Some("Self_"));
        assert_eq!(variant("!!"), None);
    }

    #[test]
    fn ts_keys_quote_what_is_not_an_identifier() {
        assert_eq!(ts_key("type"), "type");
        assert_eq!(ts_key("userId"), "userId");
        assert_eq!(ts_key("1st"), "'1st'");
        assert_eq!(ts_key("user:join"), "'user:join'");
        assert_eq!(ts_key("it's"), "'it\\'s'");
        assert_eq!(ts_key("$price"), "$price");
        assert_eq!(ts_key(""), "''");
    }

    #[test]
    fn derived_names_table() {
        assert_eq!(event_const("r#type"), "TYPE");
        assert_eq!(route_fn("flash_sale"), "__route_flash_sale");
        assert_ne!(route_fn("flash_sale"), route_fn("flashsale"), "two domains, two functions");
        assert_eq!(listener("_1st"), "on_1st");
        assert_eq!(room_type("Order"), "OrderRoom");
        assert_eq!(may_join("r#match"), "may_join_match");
        assert_eq!(handlers_trait("flash_sale"), "FlashSaleHandlers");
        assert_eq!(default_fn("CartItem", "r#type"), "__default_cartitem_type");
        assert_eq!(setter("note"), "with_note");
        assert_eq!(setter("r#type"), "with_type");
        assert_eq!(setter("self_"), "with_self_");
        assert_eq!(setter("_1st"), "with_1st");
        assert_eq!(ts_callback("OrderStatusPayload").as_deref(), Some("OrderStatusCallback"));
        assert_eq!(ts_callback("OrderStatus"), None);
        assert_eq!(ts_sender("chat_send_message"), "chatSendMessage");
        assert_eq!(ts_sender("subscribe_order"), "subscribeOrder");
        assert_eq!(ts_sender("r#type"), "type");
        assert_eq!(ts_sender("_1st"), "e1st");
        assert_eq!(ts_listener("chat_message"), "onChatMessage");
        assert_eq!(ts_listener("_1st"), "on1st");
        assert_eq!(ts_listener("r#type"), "onType");
    }

    #[test]
    fn ts_exports_table() {
        let ts = "export interface SocketState {\n  a: string;\n}\nexport type ErrorCallback = (e: Error) => void;\nexport const X = 1;\ntype Hidden = 1;\nexport function f<T>() {}\nexport default 3;\n";
        assert_eq!(ts_exports(ts), ["SocketState", "ErrorCallback", "X", "f"]);
    }

    #[test]
    fn reserved_type_names() {
        assert_eq!(reserved_type_name("Self"), Some("Rust"));
        assert_eq!(reserved_type_name("Date"), Some("TypeScript"));
        assert_eq!(reserved_type_name("StockStatus"), None);
        assert!(is_type_name("StockStatus"));
        assert!(!is_type_name("stockStatus"));
        assert!(!is_type_name("Stock-Status"));
    }
}
