//! "Did you mean ...?" for typos in field names, enum values, rule codes and role names.

/// The candidate closest to `input`, if it is close enough to be a plausible typo.
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let input_lower = input.to_lowercase();
    candidates
        .into_iter()
        .filter(|candidate| *candidate != input)
        .map(|candidate| {
            let candidate_lower = candidate.to_lowercase();
            // A difference in case only is the most likely typo of all.
            let score = if candidate_lower == input_lower {
                1.0
            } else {
                strsim::jaro_winkler(&input_lower, &candidate_lower)
            };
            (score, candidate)
        })
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|left, right| left.0.total_cmp(&right.0))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn suggests_close_names_only() {
        let fields = ["name", "hashKey", "rangeKey", "attributes", "billingMode"];
        assert_eq!(closest("rangekey", fields), Some("rangeKey"));
        assert_eq!(closest("hashkey", fields), Some("hashKey"));
        assert_eq!(closest("atributes", fields), Some("attributes"));
        assert_eq!(closest("billing_mode", fields), Some("billingMode"));
        assert_eq!(closest("colour", fields), None);
        assert_eq!(
            closest(
                "acess-service-koa-dev",
                ["access-service-koa-dev", "billing-koa-dev"]
            ),
            Some("access-service-koa-dev")
        );
    }
}
