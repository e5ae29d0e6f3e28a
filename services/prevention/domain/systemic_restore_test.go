package domain_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

func TestADetectorRestoredWithNoOpenCaseTakesAnOpeningInTheSameBucket(t *testing.T) {
	d := domain.NewDetector()
	d.Observe(domain.Resolution{ComplaintID: "a", RootCause: "network.outage", At: day0.Add(9 * time.Hour)}, detectionPolicy)
	snapshot, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	restored := &domain.Detector{}
	if err := json.Unmarshal(snapshot, restored); err != nil {
		t.Fatal(err)
	}
	// Same bucket as the snapshot's: the clock does not move on.
	restored.Receive("b", day0.Add(10*time.Hour), detectionPolicy)
	if got := restored.Observe(domain.Resolution{ComplaintID: "b", RootCause: "network.outage", At: day0.Add(11 * time.Hour)}, detectionPolicy); len(got) != 0 {
		t.Fatalf("one resolution detected as a spike: %+v", got)
	}
}
