//! Tests of the users list's links and pages.

use super::*;

#[test]
fn headings_sort_by_their_column_and_then_the_other_way() {
    let f = Filters::from_query("q=ana&sort=email");
    let [email, name, ..] = sort_links("/orgs/o/users", &f);
    assert_eq!(email.aria, "ascending");
    assert_eq!(email.href, "/orgs/o/users?q=ana&sort=-email");
    assert_eq!(name.aria, "none");
    assert_eq!(name.href, "/orgs/o/users?q=ana&sort=name");
    let f = Filters::from_query("");
    assert_eq!(f.sort, "name");
    let [_, name, ..] = sort_links("/orgs/o/users", &f);
    assert_eq!(name.href, "/orgs/o/users?sort=-name");
    assert_eq!(page_number("page=3&cursor=x"), 3);
    assert_eq!(page_number("page=-1"), 1);
}
