package adapters

// Intake consumes no events: complaints enter it only through its APIs
// (http.go, nats.go). The file is kept so that every service's adapters sit
// in the same places.
