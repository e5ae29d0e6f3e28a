module github.com/complaintflow/complaintflow/tools

go 1.26.0
