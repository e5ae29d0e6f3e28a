package companysim

import "os"

// WriteHTML writes the scorecard as a page a process owner can read.
func WriteHTML(path string, sc *Scorecard) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return renderHTML(f, sc)
}
