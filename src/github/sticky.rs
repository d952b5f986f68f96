//! The sticky comment's one decision, apart from HTTP: read the pull request's comments
//! page by page until the one that carries dynalint's marker and this run's key and was
//! written by this token's own account (never anyone else's) is found, and bring it up to
//! date; when no page has it, create one if there is something to say. The API is a small trait: octocrab
//! implements it for GitHub ([`super::comment`]), a fake in the tests below.

use super::comment::Outcome;
use crate::report::markdown::MARKER;

/// A comment of the pull request, as far as the upsert reads it.
pub(crate) struct Comment {
    pub id: u64,
    pub body: String,
    pub author: Option<String>,
}

/// What the upsert needs of GitHub's issue-comments API.
pub(crate) trait CommentsApi {
    type Error;
    /// Where the next page starts.
    type Cursor;

    /// The comments of one page (the first without a cursor) and the next page's cursor.
    async fn page(
        &self,
        cursor: Option<Self::Cursor>,
    ) -> Result<(Vec<Comment>, Option<Self::Cursor>), Self::Error>;
    async fn update(&self, id: u64, body: &str) -> Result<(), Self::Error>;
    /// The new comment's id.
    async fn create(&self, body: &str) -> Result<u64, Self::Error>;
}

/// Create or update the comment with `body` (which carries the marker and `key_marker`
/// on its first two lines). With `needed` false an existing comment is still updated
/// (to say all is clear), but none is created.
pub(crate) async fn upsert<Api: CommentsApi>(
    api: &Api,
    logins: &[String],
    key_marker: &str,
    body: &str,
    needed: bool,
) -> Result<Outcome, Api::Error> {
    let ours = |comment: &Comment| {
        comment.body.starts_with(MARKER)
            && comment.body.lines().nth(1) == Some(key_marker)
            && comment
                .author
                .as_ref()
                .is_some_and(|author| logins.contains(author))
    };
    let mut cursor = None;
    let found = loop {
        let (comments, next) = api.page(cursor).await?;
        if let Some(comment) = comments.into_iter().find(ours) {
            break Some(comment);
        }
        match next {
            Some(next) => cursor = Some(next),
            None => break None,
        }
    };
    match found {
        Some(comment) if comment.body == body => Ok(Outcome::Unchanged { id: comment.id }),
        Some(comment) => {
            api.update(comment.id, body).await?;
            Ok(Outcome::Updated { id: comment.id })
        }
        None if !needed => Ok(Outcome::NotNeeded),
        None => Ok(Outcome::Created {
            id: api.create(body).await?,
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    /// Pages of comments in memory, recording what was written.
    struct Fake {
        pages: Vec<Vec<(u64, &'static str, String)>>,
        read: RefCell<Vec<usize>>,
        written: RefCell<Vec<String>>,
    }

    impl Fake {
        fn new(pages: Vec<Vec<(u64, &'static str, String)>>) -> Fake {
            Fake {
                pages,
                read: RefCell::new(Vec::new()),
                written: RefCell::new(Vec::new()),
            }
        }
    }

    impl CommentsApi for Fake {
        type Error = String;
        type Cursor = usize;

        async fn page(
            &self,
            cursor: Option<usize>,
        ) -> Result<(Vec<Comment>, Option<usize>), String> {
            let index = cursor.unwrap_or(0);
            self.read.borrow_mut().push(index);
            let comments = self.pages[index]
                .iter()
                .map(|(id, author, body)| Comment {
                    id: *id,
                    body: body.clone(),
                    author: Some(author.to_string()),
                })
                .collect();
            Ok((
                comments,
                (index + 1 < self.pages.len()).then_some(index + 1),
            ))
        }

        async fn update(&self, id: u64, body: &str) -> Result<(), String> {
            self.written
                .borrow_mut()
                .push(format!("update {id}: {body}"));
            Ok(())
        }

        async fn create(&self, body: &str) -> Result<u64, String> {
            self.written.borrow_mut().push(format!("create: {body}"));
            Ok(99)
        }
    }

    const KEY: &str = "<!-- dynalint-key: ci/lint -->";

    fn body(text: &str) -> String {
        format!("{MARKER}\n{KEY}\n{text}")
    }

    fn run(fake: &Fake, text: &str, needed: bool) -> Outcome {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime
            .block_on(upsert(
                fake,
                &["github-actions[bot]".to_string()],
                KEY,
                &body(text),
                needed,
            ))
            .unwrap()
    }

    #[test]
    fn our_comment_is_found_on_a_later_page_and_updated() {
        let filler: Vec<_> = (0..100)
            .map(|id| (id, "someone", "a review".to_string()))
            .collect();
        let fake = Fake::new(vec![
            filler.clone(),
            filler,
            vec![(7, "github-actions[bot]", body("old"))],
        ]);
        assert_eq!(run(&fake, "new", true), Outcome::Updated { id: 7 });
        assert_eq!(*fake.read.borrow(), [0, 1, 2]);
        assert_eq!(
            *fake.written.borrow(),
            [format!("update 7: {}", body("new"))]
        );
        // The same text again: nothing is written.
        let fake = Fake::new(vec![vec![(7, "github-actions[bot]", body("same"))]]);
        assert_eq!(run(&fake, "same", true), Outcome::Unchanged { id: 7 });
        assert!(fake.written.borrow().is_empty());
    }

    #[test]
    fn only_our_own_comment_with_our_key_is_touched() {
        let fake = Fake::new(vec![vec![
            // Someone else's, with our marker and key: left alone.
            (1, "mallory", body("forged")),
            // Ours, but another job's key.
            (
                2,
                "github-actions[bot]",
                format!("{MARKER}\n<!-- dynalint-key: other -->\nx"),
            ),
            // A quote of ours inside another comment.
            (3, "github-actions[bot]", format!("> {}", body("quoted"))),
        ]]);
        assert_eq!(run(&fake, "report", true), Outcome::Created { id: 99 });
        assert_eq!(
            *fake.written.borrow(),
            [format!("create: {}", body("report"))]
        );
    }

    #[test]
    fn nothing_to_say_creates_nothing_but_clears_an_old_comment() {
        let empty = Fake::new(vec![vec![]]);
        assert_eq!(run(&empty, "all clear", false), Outcome::NotNeeded);
        assert!(empty.written.borrow().is_empty());
        let old = Fake::new(vec![vec![(5, "github-actions[bot]", body("3 errors"))]]);
        assert_eq!(run(&old, "all clear", false), Outcome::Updated { id: 5 });
    }
}
