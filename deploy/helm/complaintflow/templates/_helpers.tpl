{{/* The release's full name, as most charts make it. */}}
{{- define "complaintflow.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "complaintflow.labels" -}}
app.kubernetes.io/part-of: complaintflow
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Every NATS node's URL: the nats chart's pods by their stable names. */}}
{{- define "complaintflow.natsURL" -}}
{{- if .Values.natsURL -}}
{{- .Values.natsURL -}}
{{- else -}}
{{- $name := ternary .Release.Name (printf "%s-nats" .Release.Name) (contains "nats" .Release.Name) -}}
{{- $urls := list -}}
{{- range $i := until (int .Values.nats.config.cluster.replicas) -}}
{{- $urls = append $urls (printf "nats://%s-%d.%s-headless:4222" $name $i $name) -}}
{{- end -}}
{{- join "," $urls -}}
{{- end -}}
{{- end -}}

{{- define "complaintflow.natsSecret" -}}
{{- $prefix := .root.Values.credentials.natsSecretPrefix | default (include "complaintflow.fullname" .root) -}}
{{- printf "%s-%s-nats" $prefix .service -}}
{{- end -}}

{{/* The services, in the order they are rendered. */}}
{{- define "complaintflow.services" -}}
intake resolution compensation followup prevention
{{- end -}}
