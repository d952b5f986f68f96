//! The chart's values schema: the embedded one, or the repository's own
//! `helm/helm-idp-dynamodb/values.schema.json`, which wins when present (as it does for
//! Helm). Compiled once per run; draft 7 unless the schema names its draft, as Helm does.

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
    /// The validator's own wording, for kinds without a dedicated message.
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
    Other,
}

impl ChartSchema {
    pub fn embedded() -> ChartSchema {
        // The embedded schema is checked by a test; failing here is a build defect.
        ChartSchema::parse(EMBEDDED, "schema/values.schema.json", Origin::Embedded)
            .expect("the embedded schema is valid")
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
        let mut violations: Vec<(u8, Violation)> = Vec::new();
        for error in self.validator.iter_errors(instance) {
            let instance_path = error.instance_path().as_str().to_string();
            let detail = error.to_string();
            let schema_path = error.schema_path().as_str();
            use jsonschema::error::ValidationErrorKind as Kind;
            let found: Vec<(u8, Violation)> = match error.kind() {
                Kind::AdditionalProperties { unexpected } => unexpected
                    .iter()
                    .map(|property| {
                        let known = self.sibling_properties(schema_path);
                        let suggestion =
                            suggest::closest(property, known.iter().map(String::as_str))
                                .map(str::to_string);
                        (
                            0,
                            Violation {
                                pointer: format!(
                                    "{instance_path}/{}",
                                    crate::yaml::escape_pointer(property)
                                ),
                                kind: ViolationKind::UnknownField {
                                    property: property.clone(),
                                    suggestion,
                                },
                                detail: detail.clone(),
                            },
                        )
                    })
                    .collect(),
                Kind::Required { property } => {
                    let property = property.as_str().unwrap_or_default().to_string();
                    let same_object = violations.iter_mut().find(|(_, existing)| {
                        existing.pointer == instance_path
                            && matches!(existing.kind, ViolationKind::Required { .. })
                    });
                    if let Some((
                        _,
                        Violation {
                            kind: ViolationKind::Required { properties },
                            ..
                        },
                    )) = same_object
                    {
                        properties.push(property);
                        continue;
                    }
                    vec![(
                        1,
                        Violation {
                            pointer: instance_path,
                            kind: ViolationKind::Required {
                                properties: vec![property],
                            },
                            detail,
                        },
                    )]
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
                    vec![(
                        0,
                        Violation {
                            pointer: instance_path,
                            kind: ViolationKind::Enum {
                                options,
                                suggestion,
                            },
                            detail,
                        },
                    )]
                }
                Kind::Type { kind } => {
                    let expected = match kind {
                        jsonschema::error::TypeKind::Single(single) => vec![single.to_string()],
                        jsonschema::error::TypeKind::Multiple(set) => {
                            set.iter().map(|single| single.to_string()).collect()
                        }
                    };
                    vec![(
                        1,
                        Violation {
                            pointer: instance_path,
                            kind: ViolationKind::Type { expected },
                            detail,
                        },
                    )]
                }
                _ => vec![(
                    2,
                    Violation {
                        pointer: instance_path,
                        kind: ViolationKind::Other,
                        detail,
                    },
                )],
            };
            for (rank, violation) in found {
                // Required and unknown-field violations name different fields of one
                // object; every other kind is about the value at the pointer itself.
                let per_value = !matches!(
                    violation.kind,
                    ViolationKind::Required { .. } | ViolationKind::UnknownField { .. }
                );
                let same_value = violations.iter_mut().find(|(_, existing)| {
                    per_value
                        && existing.pointer == violation.pointer
                        && !matches!(
                            existing.kind,
                            ViolationKind::Required { .. } | ViolationKind::UnknownField { .. }
                        )
                });
                match same_value {
                    Some(existing) if rank < existing.0 => *existing = (rank, violation),
                    Some(_) => {}
                    None => violations.push((rank, violation)),
                }
            }
        }
        violations
            .into_iter()
            .map(|(_, violation)| violation)
            .collect()
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
