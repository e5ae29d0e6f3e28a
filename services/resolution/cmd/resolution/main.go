// Command resolution runs the resolution service on its own.
package main

import (
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/resolution"
	"github.com/complaintflow/complaintflow/services/resolution/domain"
)

func main() {
	host.Main("resolution", resolution.DefaultAddr, []host.Unit{{Name: "resolution", Build: resolution.New(domain.DefaultPolicy())}})
}
