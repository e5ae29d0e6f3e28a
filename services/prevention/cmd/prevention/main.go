// Command prevention runs the prevention service on its own.
package main

import (
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/prevention"
)

func main() {
	host.Main("prevention", prevention.DefaultAddr, []host.Unit{{Name: "prevention", Build: prevention.New()}})
}
