module github.com/complaintflow/complaintflow/services/compensation

go 1.26.0
