//! The review's one decision, apart from HTTP: read every page of the pull request's
//! review comments, take the suggestion markers of those written by this token's own
//! account (never anyone else's: a forged or quoted marker posts the suggestion anyway),
//! and post one review with the suggestions that are not there yet, or none when every
//! one is. Nothing is ever edited or deleted. The API is a small trait: octocrab
//! implements it for GitHub ([`super::review`]), a fake in the tests below.

use std::collections::HashSet;

use super::suggestion::{MARKER_PREFIX, Suggestion};

/// A review comment of the pull request, as far as the decision reads it.
pub(crate) struct ReviewComment {
    pub body: String,
    pub author: Option<String>,
}

/// What the decision needs of GitHub's pull-request review API.
pub(crate) trait ReviewsApi {
    type Error;
    /// Where the next page starts.
    type Cursor;

    /// The review comments of one page (the first without a cursor) and the next page's
    /// cursor.
    async fn page(
        &self,
        cursor: Option<Self::Cursor>,
    ) -> Result<(Vec<ReviewComment>, Option<Self::Cursor>), Self::Error>;
    /// Posts one review with `body` and a comment per suggestion; the review's id.
    async fn post(&self, body: &str, suggestions: &[&Suggestion]) -> Result<u64, Self::Error>;
}

/// What posting did.
#[derive(Debug, PartialEq, Eq)]
pub struct Posted {
    /// The review posted, if any was needed.
    pub review: Option<u64>,
    /// Suggestions in it.
    pub posted: usize,
    /// Suggestions left out as this account had posted them already.
    pub already: usize,
}

/// The keys of the suggestion markers in `body`.
fn markers(body: &str) -> impl Iterator<Item = &str> {
    body.match_indices(MARKER_PREFIX).filter_map(|(at, _)| {
        let rest = &body[at + MARKER_PREFIX.len()..];
        rest.find(" -->").map(|end| &rest[..end])
    })
}

/// Posts one review with `body` and those of `suggestions` that no review comment by
/// `logins` carries already.
pub(crate) async fn post_new<Api: ReviewsApi>(
    api: &Api,
    logins: &[String],
    body: &str,
    suggestions: &[Suggestion],
) -> Result<Posted, Api::Error> {
    let mut posted: HashSet<String> = HashSet::new();
    let mut cursor = None;
    loop {
        let (comments, next) = api.page(cursor).await?;
        for comment in comments.iter().filter(|comment| {
            comment
                .author
                .as_ref()
                .is_some_and(|author| logins.contains(author))
        }) {
            posted.extend(markers(&comment.body).map(str::to_string));
        }
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let new: Vec<&Suggestion> = suggestions
        .iter()
        .filter(|suggestion| !posted.contains(&suggestion.key))
        .collect();
    let already = suggestions.len() - new.len();
    if new.is_empty() {
        return Ok(Posted {
            review: None,
            posted: 0,
            already,
        });
    }
    let review = api.post(body, &new).await?;
    Ok(Posted {
        review: Some(review),
        posted: new.len(),
        already,
    })
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    /// Pages of review comments in memory, recording the reviews posted.
    struct Fake {
        pages: Vec<Vec<(&'static str, String)>>,
        read: RefCell<Vec<usize>>,
        posted: RefCell<Vec<Vec<String>>>,
    }

    impl Fake {
        fn new(pages: Vec<Vec<(&'static str, String)>>) -> Fake {
            Fake {
                pages,
                read: RefCell::new(Vec::new()),
                posted: RefCell::new(Vec::new()),
            }
        }
    }

    impl ReviewsApi for Fake {
        type Error = String;
        type Cursor = usize;

        async fn page(
            &self,
            cursor: Option<usize>,
        ) -> Result<(Vec<ReviewComment>, Option<usize>), String> {
            let index = cursor.unwrap_or(0);
            self.read.borrow_mut().push(index);
            let comments = self.pages[index]
                .iter()
                .map(|(author, body)| ReviewComment {
                    body: body.clone(),
                    author: Some(author.to_string()),
                })
                .collect();
            Ok((
                comments,
                (index + 1 < self.pages.len()).then_some(index + 1),
            ))
        }

        async fn post(&self, _body: &str, suggestions: &[&Suggestion]) -> Result<u64, String> {
            self.posted.borrow_mut().push(
                suggestions
                    .iter()
                    .map(|suggestion| suggestion.key.clone())
                    .collect(),
            );
            Ok(77)
        }
    }

    fn suggestion(key: &str) -> Suggestion {
        Suggestion {
            path: "values.yaml".into(),
            first: 3,
            last: 3,
            body: format!("fix\n{}", Suggestion::marker(key)),
            key: key.into(),
        }
    }

    fn run(fake: &Fake, suggestions: &[Suggestion]) -> Posted {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime
            .block_on(post_new(
                fake,
                &["github-actions[bot]".to_string()],
                "review",
                suggestions,
            ))
            .unwrap()
    }

    #[test]
    fn every_page_is_read_and_only_new_suggestions_are_posted() {
        let filler: Vec<_> = (0..100).map(|_| ("alice", "nit".to_string())).collect();
        let fake = Fake::new(vec![
            filler.clone(),
            filler,
            vec![("github-actions[bot]", suggestion("a:1").body)],
        ]);
        let posted = run(&fake, &[suggestion("a:1"), suggestion("b:2")]);
        assert_eq!(
            posted,
            Posted {
                review: Some(77),
                posted: 1,
                already: 1
            }
        );
        assert_eq!(*fake.read.borrow(), [0, 1, 2]);
        assert_eq!(*fake.posted.borrow(), [vec!["b:2".to_string()]]);
    }

    #[test]
    fn nothing_new_posts_no_review() {
        let fake = Fake::new(vec![vec![
            ("github-actions[bot]", suggestion("a:1").body),
            ("github-actions[bot]", suggestion("b:2").body),
        ]]);
        let posted = run(&fake, &[suggestion("a:1"), suggestion("b:2")]);
        assert_eq!(
            posted,
            Posted {
                review: None,
                posted: 0,
                already: 2
            }
        );
        assert!(fake.posted.borrow().is_empty());
    }

    #[test]
    fn only_our_own_markers_count() {
        let fake = Fake::new(vec![vec![
            // Someone else's comment with our marker (a forgery, or a quote).
            ("mallory", suggestion("a:1").body),
            // Ours, for another suggestion (an older version of the lines).
            ("github-actions[bot]", suggestion("a:0").body),
        ]]);
        let posted = run(&fake, &[suggestion("a:1")]);
        assert_eq!(posted.posted, 1);
        assert_eq!(*fake.posted.borrow(), [vec!["a:1".to_string()]]);
    }

    #[test]
    fn markers_are_read_wherever_they_are_in_a_comment() {
        let body = format!(
            "text\n{}\nmore {} end",
            Suggestion::marker("x:1"),
            Suggestion::marker("y:2")
        );
        assert_eq!(markers(&body).collect::<Vec<_>>(), ["x:1", "y:2"]);
        assert_eq!(markers("<!-- dynalint-suggestion: broken").count(), 0);
    }
}
