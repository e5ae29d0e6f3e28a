// Command compensation runs the compensation service on its own.
package main

import (
	"github.com/complaintflow/complaintflow/services/compensation"
	"github.com/complaintflow/complaintflow/services/platform/host"
)

func main() {
	host.Main("compensation", compensation.DefaultAddr, false, compensation.New(compensation.ConfigFromEnv()))
}
