package host

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/complaintflow/complaintflow/services/platform/pii"
)

// PersonalDataKeysMetric is the number of personal-data keys (and service
// secrets) in the customer-keys bucket when the process holding them
// started, by what wraps them (attribute wrapped_by): "current" (the
// current key-encryption key), "older" (a KEK kept only to unwrap them;
// none is left after the rewrap at start unless it failed midway) and
// "unwrapped" (no KEK: refused until an operator wraps them).
const PersonalDataKeysMetric = "complaints.pii.keys"

// reportKeys logs and records what the rewrap at start found: keys moved to
// the current KEK, keys stored unwrapped (refused, and worth a look: a key
// stored before KEKs, or planted by someone who may write to the bucket),
// and older KEKs that wrap nothing any more and may leave the file.
func reportKeys(ctx context.Context, mp metric.MeterProvider, c pii.KeyCensus, keks *pii.KeyRing) {
	current := keks.Current()
	if c.Rewrapped > 0 {
		slog.Info("personal-data keys wrapped with the current key-encryption key", "keys", c.Rewrapped, "kek", current)
	}
	if n := len(c.Unwrapped); n > 0 {
		slog.Warn("personal-data keys stored without a key-encryption key: refused until an operator wraps them "+
			"(complaintctl kek status lists them; complaintctl kek rewrap -unwrapped wraps them once their origin is known)",
			"keys", n)
	}
	if older := c.Others(current); older > 0 {
		slog.Warn("personal-data keys still wrapped by an older key-encryption key: keep it in PII_KEK_FILE", "keys", older)
	}
	if retired := keks.Retired(c); len(retired) > 0 {
		slog.Info("older key-encryption keys wrap no key any more and may leave PII_KEK_FILE (complaintctl kek retire)",
			"keks", retired)
	}
	g, err := mp.Meter("github.com/complaintflow/complaintflow/services/platform/host").Int64Gauge(PersonalDataKeysMetric,
		metric.WithDescription("personal-data keys in the customer-keys bucket at the process's start, by what wraps them"))
	if err != nil {
		return
	}
	for by, n := range map[string]int{"current": c.ByKEK[current], "older": c.Others(current), "unwrapped": len(c.Unwrapped)} {
		g.Record(ctx, int64(n), metric.WithAttributes(attribute.String("wrapped_by", by)))
	}
}
