//! `ask_input`: multi round-trip requests (E14–E16). Each round answers `input_required`
//! with one input request keyed `<kind>-<round>`; the client retries with `inputResponses`
//! and the sealed `requestState`. Without state (`with_state: false`) the round is read back
//! from the response's key, as a server that keeps nothing must.

use super::error::ModernError;
use super::request_state;
use crate::state::State;
use serde_json::{json, Map, Value};

const MAX_ROUNDS: u64 = 20;

pub fn definition() -> Value {
    json!({
        "name": "ask_input",
        "description": "Asks the client for input over several rounds (elicitation, elicitation_url, sampling or roots), then returns every answer",
        "inputSchema": {"type": "object", "properties": {
            "kind": {"type": "string", "enum": ["elicitation", "elicitation_url", "sampling", "roots"]},
            "rounds": {"type": "integer", "minimum": 1, "maximum": MAX_ROUNDS},
            "with_state": {"type": "boolean"}}}
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Elicitation,
    ElicitationUrl,
    Sampling,
    Roots,
}

impl Kind {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "elicitation" => Self::Elicitation,
            "elicitation_url" => Self::ElicitationUrl,
            "sampling" => Self::Sampling,
            "roots" => Self::Roots,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Elicitation => "elicitation",
            Self::ElicitationUrl => "elicitation_url",
            Self::Sampling => "sampling",
            Self::Roots => "roots",
        }
    }

    fn key(self, round: u64) -> String {
        format!("{}-{round}", self.name())
    }

    fn method(self) -> &'static str {
        match self {
            Self::Elicitation | Self::ElicitationUrl => "elicitation/create",
            Self::Sampling => "sampling/createMessage",
            Self::Roots => "roots/list",
        }
    }

    fn request(self, round: u64) -> Value {
        match self {
            Self::Elicitation => json!({"method": self.method(), "params": {
                "message": format!("What is your name? (round {round})"),
                "requestedSchema": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}}}),
            Self::ElicitationUrl => json!({"method": self.method(), "params": {
                "mode": "url", "url": format!("https://example.com/consent?round={round}"),
                "message": format!("Please confirm in your browser (round {round})")}}),
            Self::Sampling => json!({"method": self.method(), "params": {
                "messages": [{"role": "user", "content": {"type": "text", "text": format!("What is 2+2? (round {round})")}}],
                "maxTokens": 20}}),
            Self::Roots => json!({"method": self.method(), "params": {}}),
        }
    }

    /// E16: servers must not ask for input a client did not declare it can give.
    fn require(self, capabilities: &Map<String, Value>) -> Result<(), ModernError> {
        let declared = |name: &str| capabilities.get(name).and_then(Value::as_object);
        let ok = match self {
            // `{}` declares form mode only; `url` must be named.
            Self::Elicitation => {
                declared("elicitation").is_some_and(|e| e.is_empty() || e.contains_key("form"))
            }
            Self::ElicitationUrl => declared("elicitation").is_some_and(|e| e.contains_key("url")),
            Self::Sampling => declared("sampling").is_some(),
            Self::Roots => declared("roots").is_some(),
        };
        if ok {
            return Ok(());
        }
        Err(match self {
            Self::Elicitation => ModernError::missing_capability("elicitation", json!({})),
            Self::ElicitationUrl => {
                ModernError::missing_capability("elicitation", json!({"url": {}}))
            }
            Self::Sampling => ModernError::missing_capability("sampling", json!({})),
            Self::Roots => ModernError::missing_capability("roots", json!({})),
        })
    }

    fn check_answer(self, key: &str, answer: &Value) -> Result<(), ModernError> {
        let ok = match self {
            Self::Elicitation | Self::ElicitationUrl => answer
                .get("action")
                .and_then(Value::as_str)
                .is_some_and(|a| matches!(a, "accept" | "decline" | "cancel")),
            Self::Sampling => answer.get("role").is_some() && answer.get("content").is_some(),
            Self::Roots => answer.get("roots").is_some_and(Value::is_array),
        };
        if ok {
            Ok(())
        } else {
            Err(ModernError::invalid_params(format!(
                "inputResponses[{key:?}] is not a valid answer to {}",
                self.method()
            )))
        }
    }
}

fn invalid(message: impl Into<String>) -> ModernError {
    ModernError::invalid_params(message)
}

pub fn ask_input(
    state: &State,
    params: &Value,
    args: &Value,
    capabilities: &Map<String, Value>,
) -> Result<Value, ModernError> {
    let kind_name = match args.get("kind") {
        None | Some(Value::Null) => "elicitation",
        Some(v) => v.as_str().unwrap_or(""),
    };
    let kind = Kind::parse(kind_name)
        .ok_or_else(|| invalid(format!("ask_input: unknown kind {kind_name:?}")))?;
    let rounds = match args.get("rounds") {
        None | Some(Value::Null) => 1,
        Some(v) => v
            .as_u64()
            .filter(|n| (1..=MAX_ROUNDS).contains(n))
            .ok_or_else(|| invalid(format!("ask_input: rounds must be 1 to {MAX_ROUNDS}")))?,
    };
    let with_state = match args.get("with_state") {
        None | Some(Value::Null) => true,
        Some(v) => v
            .as_bool()
            .ok_or_else(|| invalid("ask_input: with_state must be a boolean"))?,
    };
    kind.require(capabilities)?;
    let seal_key = &state.modern.state_key;
    let seal = |round: u64, received: &Map<String, Value>| {
        with_state.then(|| {
            request_state::seal(
                seal_key,
                &json!({"kind": kind.name(), "rounds": rounds, "round": round, "received": received}),
            )
        })
    };
    let responses = match params.get("inputResponses") {
        None => None,
        Some(Value::Object(r)) => Some(r),
        Some(_) => return Err(invalid("inputResponses must be an object")),
    };
    let sent_state = match params.get("requestState") {
        None => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(invalid("requestState must be a string")),
    };
    let (round, mut received, responses) = match (responses, sent_state, with_state) {
        (None, None, _) => {
            return Ok(input_required(kind, 1, seal(1, &Map::new())));
        }
        (_, Some(_), false) => {
            return Err(invalid(
                "requestState sent, but this server never issued one",
            ))
        }
        (None, Some(_), true) => return Err(invalid("inputResponses missing")),
        (Some(_), None, true) => {
            return Err(invalid(
                "requestState missing: send it back with inputResponses",
            ))
        }
        (Some(responses), Some(sealed), true) => {
            let opened = request_state::open(seal_key, sealed)
                .ok_or_else(|| invalid("requestState altered"))?;
            if opened["kind"] != kind.name() || opened["rounds"] != rounds {
                return Err(invalid("arguments differ from the first round's"));
            }
            let round = opened["round"].as_u64().unwrap_or(0);
            let received = opened["received"].as_object().cloned().unwrap_or_default();
            (round, received, responses)
        }
        (Some(responses), None, false) => {
            let round = responses
                .keys()
                .find_map(|k| {
                    k.strip_prefix(kind.name())?
                        .strip_prefix('-')?
                        .parse::<u64>()
                        .ok()
                })
                .filter(|r| (1..=rounds).contains(r))
                .ok_or_else(|| invalid("inputResponses answers nothing this tool asked"))?;
            (round, Map::new(), responses)
        }
    };
    let key = kind.key(round);
    if let Some(stray) = responses.keys().find(|k| **k != key) {
        return Err(invalid(format!("unknown inputResponses key {stray:?}")));
    }
    let answer = responses
        .get(&key)
        .ok_or_else(|| invalid(format!("inputResponses lacks {key:?}")))?;
    kind.check_answer(&key, answer)?;
    received.insert(key, answer.clone());
    if round < rounds {
        return Ok(input_required(kind, round + 1, seal(round + 1, &received)));
    }
    let text = Value::Object(received.clone()).to_string();
    Ok(json!({"content": [{"type": "text", "text": text}],
              "structuredContent": {"responses": received}, "isError": false}))
}

fn input_required(kind: Kind, round: u64, state: Option<String>) -> Value {
    let key = kind.key(round);
    let mut result =
        json!({"resultType": "input_required", "inputRequests": {key: kind.request(round)}});
    if let Some(state) = state {
        result["requestState"] = json!(state);
    }
    result
}
