//! R11: the user list, searched by name and paged with a cursor that stays stable while users
//! are added.

use super::items;
use crate::db_tests;
use crate::helpers::TestApp;
use std::collections::BTreeSet;

async fn r11_search_finds_users_by_name(app: TestApp) {
    let org = app.org().seats(50).established().await;
    let emails: Vec<String> = (0..6).map(|i| format!("agent{i}@example.com")).collect();
    let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    let r = org
        .add(&app, &refs)
        .to(&org.second_team)
        .as_member()
        .without_access()
        .await;
    let zelda = TestApp::user_id_in(&r, "agent3@example.com");
    let other = TestApp::user_id_in(&r, "agent4@example.com");
    let mut c = app.store.read().await.unwrap();
    for (id, email, name) in [
        (&zelda, "agent3@example.com", "Zelda Quintero"),
        (&other, "agent4@example.com", "Mark Twain"),
    ] {
        switchboard_store::sqlx::query("UPDATE users SET name = $1, search = $2 WHERE id = $3")
            .bind(name)
            .bind(format!("{email} {name}").to_lowercase())
            .bind(id.as_str())
            .execute(&mut *c)
            .await
            .unwrap();
    }
    drop(c);
    let found = |q: &str| {
        let path = org.path(&format!("/users?q={q}"));
        let app = &app;
        let admin = org.admin.clone();
        async move {
            let r = app.get(&path, &admin).await;
            items(&r)
                .into_iter()
                .map(|u| u["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        found("quint").await,
        vec![zelda.clone()],
        "a piece of the last name"
    );
    assert_eq!(found("ZELDA").await, vec![zelda.clone()], "any case");
    assert_eq!(
        found("elda%20qu").await,
        vec![zelda.clone()],
        "across first and last name"
    );
    assert_eq!(found("twain").await, vec![other.clone()]);
    assert_eq!(
        found("agent3").await,
        vec![zelda.clone()],
        "the email still matches"
    );
    assert!(found("zelda%20agent3").await.is_empty());
    let r = app.get(&org.path("/users?q=quint"), &org.admin).await;
    assert_eq!(items(&r)[0]["name"], "Zelda Quintero");
    // Name search combines with the other filters.
    assert_eq!(
        found(&format!("quint&team={}", org.second_team)).await,
        vec![zelda.clone()]
    );
    assert!(
        found(&format!("quint&team={}", org.initial_team))
            .await
            .is_empty()
    );
    assert!(found("quint&app_access=true").await.is_empty());
}

async fn r11_cursor_is_stable_under_inserts(app: TestApp) {
    let org = app.org().seats(100).established().await;
    // Someone who already exists (in another organization) before this org's users are made:
    // their id sorts before them.
    let elsewhere = app.org().seats(5).established().await;
    let r = elsewhere
        .add(&app, &["early@example.com"])
        .to(&elsewhere.initial_team)
        .as_member()
        .without_access()
        .await;
    let early = TestApp::user_id_in(&r, "early@example.com");
    let emails: Vec<String> = (0..12).map(|i| format!("pg{i}@example.com")).collect();
    let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    org.add(&app, &refs)
        .to(&org.initial_team)
        .as_member()
        .without_access()
        .await
        .ok();
    let all = app.get(&org.path("/users?limit=200"), &org.admin).await;
    let existing: BTreeSet<String> = items(&all)
        .into_iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(existing.len(), 13);

    let page1 = app.get(&org.path("/users?limit=5"), &org.admin).await;
    let mut seen: Vec<String> = items(&page1)
        .into_iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen.len(), 5);
    let cursor = page1.body["next_cursor"].as_str().unwrap().to_owned();
    assert_eq!(&cursor, seen.last().unwrap());

    // Inserts after page 1 was read: new users (their ids sort after the cursor), and an
    // existing identity joining (its id sorts before the cursor).
    let fresh: Vec<String> = (0..6).map(|i| format!("late{i}@example.com")).collect();
    let refs: Vec<&str> = fresh.iter().map(String::as_str).collect();
    let r = org
        .add(&app, &refs)
        .to(&org.second_team)
        .as_member()
        .without_access()
        .await;
    let fresh_ids: Vec<String> = fresh.iter().map(|e| TestApp::user_id_in(&r, e)).collect();
    assert!(
        fresh_ids.iter().all(|id| *id > cursor),
        "new ids sort after the cursor"
    );
    org.add(&app, &["early@example.com"])
        .to(&org.second_team)
        .as_member()
        .without_access()
        .await
        .ok();

    let mut cursor = Some(cursor);
    let mut pages = 1;
    while let Some(c) = cursor.take() {
        let page = app
            .get(&org.path(&format!("/users?limit=5&cursor={c}")), &org.admin)
            .await;
        let ids: Vec<String> = items(&page)
            .into_iter()
            .map(|u| u["id"].as_str().unwrap().to_owned())
            .collect();
        assert!(
            ids.iter().all(|id| *id > c),
            "page {} starts after its cursor",
            pages + 1
        );
        seen.extend(ids);
        cursor = page.body["next_cursor"].as_str().map(str::to_owned);
        pages += 1;
        assert!(pages < 20, "paging does not end");
    }
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "a user was repeated: {seen:?}");
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, seen, "one stable order across pages");
    for id in &existing {
        assert!(
            unique.contains(id),
            "{id}, there before page 1, was skipped"
        );
    }
    for id in &fresh_ids {
        assert!(
            unique.contains(id),
            "{id}, added after the cursor's user, is on a later page"
        );
    }
    // The identity that joined with an id before the cursor is on no later page (and moved nobody).
    let first_cursor = &seen[4];
    assert_eq!(unique.contains(&early), early > *first_cursor);
    assert_eq!(seen.len(), 13 + 6 + usize::from(early > *first_cursor));
}

db_tests!(
    r11_search_finds_users_by_name,
    r11_cursor_is_stable_under_inserts,
);
