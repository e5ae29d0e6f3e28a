package adapters

// Resolution serves no request/reply API on NATS: agents work cases over
// HTTP (http.go) and cases open from events (consumers.go). The file is kept
// so that every service's adapters sit in the same places.
