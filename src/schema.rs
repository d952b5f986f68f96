//! The chart's values schema: the embedded one, or the repository's own
//! `helm/helm-idp-dynamodb/values.schema.json`, which wins when present (as it does for
//! Helm). Compiled once per run; draft 7 unless the schema names its draft, as Helm does.

use std::collections::HashMap;

use serde_json::Value as Json;

use crate::suggest;

/// dynalint's own copy of the chart schema.
pub const EMBEDDED: &str = include_str!("../schema/values.schema.json");

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Embedded,
    /// The repository's chart schema, by repository-relative path.
    Repository(String),
}

pub struct ChartSchema {
    pub origin: Origin,
    document: Json,
    validator: jsonschema::Validator,
}

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("{path}: not valid JSON: {message}")]
    Json { path: String, message: String },
    #[error("{path}: not a usable JSON schema: {message}")]
    Invalid { path: String, message: String },
}

/// One way the values break the schema.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// JSON pointer of the value at fault; for an unknown field, of the field itself.
    pub pointer: String,
    pub kind: ViolationKind,
    /// For `KeyName` and `Other`: what is wrong, in words that complete "`field` ...".
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ViolationKind {
    /// Every required field missing from one object.
    Required {
        properties: Vec<String>,
    },
    UnknownField {
        property: String,
        suggestion: Option<String>,
    },
    Type {
        expected: Vec<String>,
    },
    Enum {
        options: Vec<String>,
        suggestion: Option<String>,
    },
    /// A key that breaks `propertyNames` (too long, ...); the pointer leads to it.
    KeyName {
        key: String,
    },
    Other,
}

impl ChartSchema {
    pub fn embedded() -> ChartSchema {
        // The embedded schema is checked by a test; failing here is a build defect.
        ChartSchema::parse(EMBEDDED, "schema/values.schema.json", Origin::Embedded)
            .expect("the embedded schema is valid")
    }

    /// The embedded schema, compiled once per process (a language server loads a
    /// revision on every edit).
    pub fn embedded_shared() -> &'static ChartSchema {
        static EMBEDDED_SCHEMA: std::sync::OnceLock<ChartSchema> = std::sync::OnceLock::new();
        EMBEDDED_SCHEMA.get_or_init(ChartSchema::embedded)
    }

    pub fn from_repository(text: &str, path: &str) -> Result<ChartSchema, SchemaError> {
        ChartSchema::parse(text, path, Origin::Repository(path.to_string()))
    }

    fn parse(text: &str, path: &str, origin: Origin) -> Result<ChartSchema, SchemaError> {
        let document: Json = serde_json::from_str(text).map_err(|error| SchemaError::Json {
            path: path.to_string(),
            message: error.to_string(),
        })?;
        let mut options = jsonschema::options();
        if document.get("$schema").is_none() {
            options = options.with_draft(jsonschema::Draft::Draft7);
        }
        let validator = options
            .build(&document)
            .map_err(|error| SchemaError::Invalid {
                path: path.to_string(),
                message: error.to_string(),
            })?;
        Ok(ChartSchema {
            origin,
            document,
            validator,
        })
    }

    pub fn document(&self) -> &Json {
        &self.document
    }

    /// Every violation, at most one per value (the most telling one).
    pub fn validate(&self, instance: &Json) -> Vec<Violation> {
        use jsonschema::error::ValidationErrorKind as Kind;
        let mut found = Found::default();
        for error in self.validator.iter_errors(instance) {
            let pointer = error.instance_path().as_str().to_string();
            match error.kind() {
                Kind::AdditionalProperties { unexpected } => {
                    let known = self.sibling_properties(error.schema_path().as_str());
                    for property in unexpected {
                        let suggestion =
                            suggest::closest(property, known.iter().map(String::as_str))
                                .map(str::to_string);
                        found.violations.push(Violation {
                            pointer: format!("{pointer}/{}", crate::yaml::escape_pointer(property)),
                            kind: ViolationKind::UnknownField {
                                property: property.clone(),
                                suggestion,
                            },
                            detail: String::new(),
                        });
                    }
                }
                Kind::Required { property } => {
                    found.require(pointer, property.as_str().unwrap_or_default().to_string())
                }
                Kind::Enum { options } => {
                    let options: Vec<String> = options
                        .as_array()
                        .map(|values| values.iter().map(display_json).collect())
                        .unwrap_or_default();
                    let suggestion = error.instance().as_str().and_then(|text| {
                        suggest::closest(text, options.iter().map(String::as_str))
                            .map(str::to_string)
                    });
                    found.per_value(
                        0,
                        Violation {
                            pointer,
                            kind: ViolationKind::Enum {
                                options,
                                suggestion,
                            },
                            detail: String::new(),
                        },
                    );
                }
                Kind::Type { kind } => {
                    let expected = match kind {
                        jsonschema::error::TypeKind::Single(single) => vec![single.to_string()],
                        jsonschema::error::TypeKind::Multiple(set) => {
                            set.iter().map(|single| single.to_string()).collect()
                        }
                    };
                    found.per_value(
                        1,
                        Violation {
                            pointer,
                            kind: ViolationKind::Type { expected },
                            detail: String::new(),
                        },
                    );
                }
                // A key of an object breaks `propertyNames`: point at that key.
                Kind::PropertyNames { error: inner } => {
                    let key = inner.instance().as_str().unwrap_or_default().to_string();
                    found.per_value(
                        2,
                        Violation {
                            pointer: format!("{pointer}/{}", crate::yaml::escape_pointer(&key)),
                            kind: ViolationKind::KeyName { key },
                            detail: short_detail(inner.kind(), inner.instance()),
                        },
                    );
                }
                kind => {
                    let detail = short_detail(kind, error.instance());
                    found.per_value(
                        2,
                        Violation {
                            pointer,
                            kind: ViolationKind::Other,
                            detail,
                        },
                    );
                }
            }
        }
        found.violations
    }

    /// The property names declared next to the keyword at `schema_path`
    /// (`/definitions/table/additionalProperties` -> the keys of `/definitions/table/properties`).
    fn sibling_properties(&self, schema_path: &str) -> Vec<String> {
        let parent = schema_path
            .rsplit_once('/')
            .map_or("", |(parent, _)| parent);
        self.document
            .pointer(&format!("{parent}/properties"))
            .and_then(Json::as_object)
            .map(|properties| properties.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// Violations gathered so far, indexed by pointer so that each error is merged in
/// constant time, however many a file has.
#[derive(Default)]
struct Found {
    violations: Vec<Violation>,
    /// Pointer -> (rank, position) of the violation about that value.
    per_value: HashMap<String, (u8, usize)>,
    /// Pointer -> position of the missing-fields violation of that object.
    required: HashMap<String, usize>,
}

impl Found {
    /// Keep one violation per value: the lowest rank (enum, then type, then the rest).
    fn per_value(&mut self, rank: u8, violation: Violation) {
        match self.per_value.get(&violation.pointer) {
            Some(&(existing, position)) if rank < existing => {
                self.per_value
                    .insert(violation.pointer.clone(), (rank, position));
                self.violations[position] = violation;
            }
            Some(_) => {}
            None => {
                self.per_value
                    .insert(violation.pointer.clone(), (rank, self.violations.len()));
                self.violations.push(violation);
            }
        }
    }

    /// Gather the missing fields of one object into one violation.
    fn require(&mut self, pointer: String, property: String) {
        if let Some(&position) = self.required.get(&pointer)
            && let ViolationKind::Required { properties } = &mut self.violations[position].kind
        {
            properties.push(property);
            return;
        }
        self.required.insert(pointer.clone(), self.violations.len());
        self.violations.push(Violation {
            pointer,
            kind: ViolationKind::Required {
                properties: vec![property],
            },
            detail: String::new(),
        });
    }
}

/// What is wrong, in a few words and without repeating the value (which can be huge):
/// it completes "`tags` of table `X` ...".
fn short_detail(kind: &jsonschema::error::ValidationErrorKind, instance: &Json) -> String {
    use jsonschema::error::ValidationErrorKind as Kind;
    let count = match instance {
        Json::Array(items) => items.len(),
        Json::Object(entries) => entries.len(),
        Json::String(text) => text.chars().count(),
        _ => 0,
    };
    let scalar = match instance {
        Json::String(text) => format!("`{}`", excerpt(text)),
        Json::Number(number) => number.to_string(),
        Json::Bool(flag) => flag.to_string(),
        Json::Null => "null".to_string(),
        Json::Array(_) => "a list".to_string(),
        Json::Object(_) => "a mapping".to_string(),
    };
    match kind {
        Kind::MaxItems { limit } => format!("has {count} items; at most {limit} are allowed"),
        Kind::MinItems { limit } => format!("has {count} items; at least {limit} are needed"),
        Kind::MaxLength { limit } => {
            format!("is {count} characters long; at most {limit} are allowed")
        }
        Kind::MinLength { limit } => {
            format!("is {count} characters long; at least {limit} are needed")
        }
        Kind::MaxProperties { limit } => {
            format!("has {count} entries; at most {limit} are allowed")
        }
        Kind::MinProperties { limit } => {
            format!("has {count} entries; at least {limit} are needed")
        }
        Kind::Maximum { limit } => format!("is {scalar}; the maximum is {limit}"),
        Kind::Minimum { limit } => format!("is {scalar}; the minimum is {limit}"),
        Kind::ExclusiveMaximum { limit } => format!("is {scalar}; it must be below {limit}"),
        Kind::ExclusiveMinimum { limit } => format!("is {scalar}; it must be above {limit}"),
        Kind::Pattern { pattern } => format!("is {scalar}, which does not match `{pattern}`"),
        Kind::Format { format } => format!("is {scalar}, which is not a valid {format}"),
        Kind::Constant { expected_value } => format!("must be {expected_value}"),
        Kind::UniqueItems => "has repeated items".to_string(),
        other => format!("breaks the schema's `{}` rule", other.keyword()),
    }
}

fn excerpt(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}

fn display_json(value: &Json) -> String {
    match value {
        Json::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kinds(instance: Json) -> Vec<(String, ViolationKind)> {
        ChartSchema::embedded()
            .validate(&instance)
            .into_iter()
            .map(|violation| (violation.pointer, violation.kind))
            .collect()
    }

    #[test]
    fn the_embedded_schema_is_draft_7_and_accepts_the_domain_example() {
        let schema = ChartSchema::embedded();
        assert_eq!(
            schema.document()["$schema"],
            "http://json-schema.org/draft-07/schema#"
        );
        let orders = json!({"tables": [{
            "name": "Orders", "useIdpPrefix": true, "hashKey": "CustomerId", "rangeKey": "OrderDate",
            "attributes": [
                {"name": "CustomerId", "type": "S"}, {"name": "OrderDate", "type": "S"},
                {"name": "TotalAmount", "type": "N"}, {"name": "Status", "type": "S"}],
            "billingMode": "PAY_PER_REQUEST",
            "localSecondaryIndex": [
                {"name": "AmountIndex", "rangeKey": "TotalAmount", "projectionType": "INCLUDE",
                 "nonKeyAttributes": ["items", "shippingAddress"]},
                {"name": "StatusIndex", "rangeKey": "Status", "projectionType": "ALL", "nonKeyAttributes": []}],
            "serviceAccountReadRoles": ["access-service-koa-dev"],
            "serviceAccountWriteRoles": ["access-service-koa-dev"]}]});
        assert_eq!(schema.validate(&orders), []);
    }

    #[test]
    fn unknown_fields_get_a_suggestion_from_their_own_level() {
        let found = kinds(
            json!({"tables": [{"name": "A", "hashKey": "Id", "rangekey": "x",
            "attributes": [{"name": "Id", "type": "S", "nmae": 1}]}], "regoin": "x"}),
        );
        assert!(found.contains(&(
            "/tables/0/rangekey".into(),
            ViolationKind::UnknownField {
                property: "rangekey".into(),
                suggestion: Some("rangeKey".into())
            }
        )));
        assert!(found.contains(&(
            "/tables/0/attributes/0/nmae".into(),
            ViolationKind::UnknownField {
                property: "nmae".into(),
                suggestion: Some("name".into())
            }
        )));
        assert!(found.contains(&(
            "/regoin".into(),
            ViolationKind::UnknownField {
                property: "regoin".into(),
                suggestion: Some("region".into())
            }
        )));
    }

    #[test]
    fn one_violation_per_value_preferring_enums() {
        let found = kinds(json!({"tables": [{"name": "A", "hashKey": "Id",
            "attributes": [{"name": "Id", "type": false}], "billingMode": "ON_DEMAND"}]}));
        assert_eq!(
            found,
            [
                (
                    "/tables/0/attributes/0/type".to_string(),
                    ViolationKind::Enum {
                        options: vec!["S".into(), "N".into(), "B".into()],
                        suggestion: None
                    }
                ),
                (
                    "/tables/0/billingMode".to_string(),
                    ViolationKind::Enum {
                        options: vec!["PAY_PER_REQUEST".into(), "PROVISIONED".into()],
                        suggestion: None
                    }
                ),
            ]
        );
    }

    #[test]
    fn a_repository_schema_without_draft_is_draft_7() {
        // `exclusiveMaximum` as a boolean is draft 4; under draft 7 it must be a number,
        // so compiling this schema fails only if the draft is right.
        let draft4_style =
            r#"{"type": "object", "properties": {"a": {"maximum": 1, "exclusiveMaximum": true}}}"#;
        assert!(ChartSchema::from_repository(draft4_style, "helm/x.json").is_err());
        let plain = r#"{"type": "object", "required": ["tables"]}"#;
        let schema = ChartSchema::from_repository(plain, "helm/x.json").unwrap();
        assert_eq!(schema.origin, Origin::Repository("helm/x.json".into()));
        assert_eq!(schema.validate(&json!({})).len(), 1);
        assert!(matches!(
            ChartSchema::from_repository("{", "helm/x.json"),
            Err(SchemaError::Json { .. })
        ));
    }
}
