"""Search: the service from words to a rendered page, the merge of paged queries, App Home."""
