/// The OpenAPI 3.1 document of the API, served at `/v1/openapi.yaml`.
///
/// Exists as a Swift string so the binary needs no resource bundle. `OpenAPIDocumentTests` keep
/// it true: its paths and methods are exactly ``APIRoute/all``, and sample responses of every
/// route are checked against the fields and statuses it names.
enum OpenAPIDocument {
    static let yaml = #"""
openapi: 3.1.0
info:
  title: ArtifactStore API
  version: '1'
  description: >-
    The HTTP API of artifactstore serve (docs/api.md). Errors are
    {"error":{"code","message"}} with the status of docs/api.md; every list is paged.
servers:
  - url: /
security:
  - bearerAuth: []
  - basicAuth: []
paths:
  /healthz:
    get:
      operationId: healthz
      summary: 'Liveness'
      security: []
      responses:
        '200':
          description: 'The process answers'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Health'}
        default: {$ref: '#/components/responses/Error'}
  /readyz:
    get:
      operationId: readyz
      summary: 'Readiness: the database and every backend'
      security: []
      responses:
        '200':
          description: 'Ready'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Readiness'}
        '503':
          description: 'Not ready'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Readiness'}
        default: {$ref: '#/components/responses/Error'}
  /metrics:
    get:
      operationId: metrics
      summary: 'Prometheus text exposition'
      security: []
      responses:
        '200':
          description: 'Metrics'
          content:
            text/plain:
              schema: {type: string}
        default: {$ref: '#/components/responses/Error'}
  /v1/openapi.yaml:
    get:
      operationId: openapi
      summary: 'This document'
      security: []
      responses:
        '200':
          description: 'The OpenAPI document'
          content:
            application/yaml:
              schema: {type: string}
        default: {$ref: '#/components/responses/Error'}
  /v1/namespaces:
    get:
      operationId: listNamespaces
      summary: 'Namespaces the token can read'
      parameters:
        - name: limit
          in: query
          required: false
          schema: {type: integer, minimum: 1, maximum: 1000}
        - name: cursor
          in: query
          required: false
          schema: {type: string}
      responses:
        '200':
          description: 'A page'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/NamespacePage'}
        default: {$ref: '#/components/responses/Error'}
    post:
      operationId: createNamespace
      summary: 'Create a namespace (admin on the store)'
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/NamespaceCreate'}
      responses:
        '201':
          description: 'Created'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Namespace'}
        default: {$ref: '#/components/responses/Error'}
  /v1/namespaces/{ns}:
    get:
      operationId: getNamespace
      summary: 'One namespace'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
      responses:
        '200':
          description: 'The namespace'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Namespace'}
        default: {$ref: '#/components/responses/Error'}
  /v1/namespaces/{ns}/blobs:
    post:
      operationId: uploadBlob
      summary: 'Upload a blob (streamed)'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
        - name: digest
          in: query
          required: false
          schema: {type: string}
        - name: size
          in: query
          required: false
          schema: {type: integer, minimum: 0}
      requestBody:
        required: true
        content:
          application/octet-stream:
            schema: {type: string, format: binary}
      responses:
        '201':
          description: 'Stored and linked'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Blob'}
        default: {$ref: '#/components/responses/Error'}
  /v1/namespaces/{ns}/blobs/{digest}:
    head:
      operationId: headBlob
      summary: 'Blob headers'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
        - name: digest
          in: path
          required: true
          schema: {type: string, pattern: '^(blake3|sha256):[0-9a-f]{64}$'}
      responses:
        '200':
          description: 'The headers of the blob'
          headers:
            ETag: {schema: {type: string}}
            Content-Digest: {schema: {type: string}}
            Repr-Digest: {schema: {type: string}}
            Accept-Ranges: {schema: {type: string}}
        '304':
          description: 'Not modified'
        default: {$ref: '#/components/responses/Error'}
    get:
      operationId: getBlob
      summary: 'Blob bytes (Range, If-None-Match)'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
        - name: digest
          in: path
          required: true
          schema: {type: string, pattern: '^(blake3|sha256):[0-9a-f]{64}$'}
      responses:
        '200':
          description: 'The bytes'
          headers:
            ETag: {schema: {type: string}}
            Content-Digest: {schema: {type: string}}
            Repr-Digest: {schema: {type: string}}
            Accept-Ranges: {schema: {type: string}}
          content:
            application/octet-stream:
              schema: {type: string, format: binary}
        '206':
          description: 'A range'
          content:
            application/octet-stream:
              schema: {type: string, format: binary}
        '307':
          description: 'The bytes are at Location, a short-lived presigned URL of the object store (backends with redirect=true)'
          headers:
            Location: {schema: {type: string}}
        '304':
          description: 'Not modified'
        default: {$ref: '#/components/responses/Error'}
  /v1/namespaces/{ns}/blobs/{digest}/verify:
    post:
      operationId: verifyBlob
      summary: 'Re-read and re-digest a blob'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
        - name: digest
          in: path
          required: true
          schema: {type: string, pattern: '^(blake3|sha256):[0-9a-f]{64}$'}
      responses:
        '200':
          description: 'The result'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/VerifyResult'}
        default: {$ref: '#/components/responses/Error'}
  /v1/namespaces/{ns}/artifacts:
    get:
      operationId: listArtifacts
      summary: 'Artifacts'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
        - name: limit
          in: query
          required: false
          schema: {type: integer, minimum: 1, maximum: 1000}
        - name: cursor
          in: query
          required: false
          schema: {type: string}
      responses:
        '200':
          description: 'A page'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/ArtifactPage'}
        default: {$ref: '#/components/responses/Error'}
  /v1/namespaces/{ns}/artifacts/{artifact}/versions:
    get:
      operationId: listVersions
      summary: 'Versions, newest first'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
        - name: artifact
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 255}
        - name: limit
          in: query
          required: false
          schema: {type: integer, minimum: 1, maximum: 1000}
        - name: cursor
          in: query
          required: false
          schema: {type: string}
      responses:
        '200':
          description: 'A page'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/VersionSummaryPage'}
        default: {$ref: '#/components/responses/Error'}
  /v1/namespaces/{ns}/artifacts/{artifact}/versions/{version}:
    put:
      operationId: commitVersion
      summary: 'Commit a version'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
        - name: artifact
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 255}
        - name: version
          in: path
          required: true
          schema: {type: string, pattern: '^[A-Za-z0-9_][A-Za-z0-9._-]*$', maxLength: 128}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/VersionCommit'}
      responses:
        '201':
          description: 'Committed'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/ArtifactVersion'}
        default: {$ref: '#/components/responses/Error'}
    get:
      operationId: getVersion
      summary: 'A version with its files'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
        - name: artifact
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 255}
        - name: version
          in: path
          required: true
          schema: {type: string, pattern: '^[A-Za-z0-9_][A-Za-z0-9._-]*$', maxLength: 128}
      responses:
        '200':
          description: 'The version'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/ArtifactVersion'}
        default: {$ref: '#/components/responses/Error'}
    delete:
      operationId: deleteVersion
      summary: 'Delete a version'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
        - name: artifact
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 255}
        - name: version
          in: path
          required: true
          schema: {type: string, pattern: '^[A-Za-z0-9_][A-Za-z0-9._-]*$', maxLength: 128}
      responses:
        '204':
          description: 'Deleted'
        default: {$ref: '#/components/responses/Error'}
  /v1/namespaces/{ns}/artifacts/{artifact}/versions/{version}/files:
    get:
      operationId: listFiles
      summary: 'Files of a version'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
        - name: artifact
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 255}
        - name: version
          in: path
          required: true
          schema: {type: string, pattern: '^[A-Za-z0-9_][A-Za-z0-9._-]*$', maxLength: 128}
        - name: limit
          in: query
          required: false
          schema: {type: integer, minimum: 1, maximum: 1000}
        - name: cursor
          in: query
          required: false
          schema: {type: string}
      responses:
        '200':
          description: 'A page'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/VersionFilePage'}
        default: {$ref: '#/components/responses/Error'}
  /v1/namespaces/{ns}/artifacts/{artifact}/versions/{version}/files/{path}:
    get:
      operationId: getFile
      summary: 'The bytes of a file'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
        - name: artifact
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 255}
        - name: version
          in: path
          required: true
          schema: {type: string, pattern: '^[A-Za-z0-9_][A-Za-z0-9._-]*$', maxLength: 128}
        - name: path
          in: path
          required: true
          schema: {type: string}
      responses:
        '200':
          description: 'The bytes'
          content:
            '*/*':
              schema: {type: string, format: binary}
        '206':
          description: 'A range'
          content:
            '*/*':
              schema: {type: string, format: binary}
        '307':
          description: 'The bytes are at Location, a short-lived presigned URL of the object store (backends with redirect=true)'
          headers:
            Location: {schema: {type: string}}
        '304':
          description: 'Not modified'
        default: {$ref: '#/components/responses/Error'}
    head:
      operationId: headFile
      summary: 'The headers of a file'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
        - name: artifact
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 255}
        - name: version
          in: path
          required: true
          schema: {type: string, pattern: '^[A-Za-z0-9_][A-Za-z0-9._-]*$', maxLength: 128}
        - name: path
          in: path
          required: true
          schema: {type: string}
      responses:
        '200':
          description: 'Headers'
        '304':
          description: 'Not modified'
        default: {$ref: '#/components/responses/Error'}
  /v1/namespaces/{ns}/artifacts/{artifact}/versions/{version}/verify:
    post:
      operationId: verifyVersion
      summary: 'Verify every file of a version'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
        - name: artifact
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 255}
        - name: version
          in: path
          required: true
          schema: {type: string, pattern: '^[A-Za-z0-9_][A-Za-z0-9._-]*$', maxLength: 128}
      responses:
        '200':
          description: 'The result'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/VersionVerify'}
        default: {$ref: '#/components/responses/Error'}
  /v1/namespaces/{ns}/artifacts/{artifact}/tags:
    get:
      operationId: listTags
      summary: 'Tags'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
        - name: artifact
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 255}
        - name: limit
          in: query
          required: false
          schema: {type: integer, minimum: 1, maximum: 1000}
        - name: cursor
          in: query
          required: false
          schema: {type: string}
      responses:
        '200':
          description: 'A page'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/TagPage'}
        default: {$ref: '#/components/responses/Error'}
  /v1/namespaces/{ns}/artifacts/{artifact}/tags/{tag}:
    get:
      operationId: getTag
      summary: 'A tag'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
        - name: artifact
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 255}
        - name: tag
          in: path
          required: true
          schema: {type: string, pattern: '^[A-Za-z0-9_][A-Za-z0-9._-]*$', maxLength: 128}
      responses:
        '200':
          description: 'The tag'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Tag'}
        default: {$ref: '#/components/responses/Error'}
    put:
      operationId: setTag
      summary: 'Point a tag at a version'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
        - name: artifact
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 255}
        - name: tag
          in: path
          required: true
          schema: {type: string, pattern: '^[A-Za-z0-9_][A-Za-z0-9._-]*$', maxLength: 128}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/TagSet'}
      responses:
        '200':
          description: 'The tag'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Tag'}
        default: {$ref: '#/components/responses/Error'}
    delete:
      operationId: deleteTag
      summary: 'Remove a tag'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
        - name: artifact
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 255}
        - name: tag
          in: path
          required: true
          schema: {type: string, pattern: '^[A-Za-z0-9_][A-Za-z0-9._-]*$', maxLength: 128}
      responses:
        '204':
          description: 'Removed'
        default: {$ref: '#/components/responses/Error'}
  /v1/namespaces/{ns}/artifacts/{artifact}/versions/{version}/hold:
    put:
      operationId: placeHold
      summary: 'Place a legal hold'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
        - name: artifact
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 255}
        - name: version
          in: path
          required: true
          schema: {type: string, pattern: '^[A-Za-z0-9_][A-Za-z0-9._-]*$', maxLength: 128}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/HoldPlace'}
      responses:
        '201':
          description: 'Placed'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/LegalHold'}
        default: {$ref: '#/components/responses/Error'}
    delete:
      operationId: releaseHold
      summary: 'Release a legal hold'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
        - name: artifact
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 255}
        - name: version
          in: path
          required: true
          schema: {type: string, pattern: '^[A-Za-z0-9_][A-Za-z0-9._-]*$', maxLength: 128}
      responses:
        '204':
          description: 'Released'
        default: {$ref: '#/components/responses/Error'}
  /v1/namespaces/{ns}/holds:
    get:
      operationId: listHolds
      summary: 'Legal holds'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
        - name: limit
          in: query
          required: false
          schema: {type: integer, minimum: 1, maximum: 1000}
        - name: cursor
          in: query
          required: false
          schema: {type: string}
      responses:
        '200':
          description: 'A page'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/LegalHoldPage'}
        default: {$ref: '#/components/responses/Error'}
  /v1/namespaces/{ns}/retention-policies:
    get:
      operationId: listPolicies
      summary: 'Retention policies'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
        - name: limit
          in: query
          required: false
          schema: {type: integer, minimum: 1, maximum: 1000}
        - name: cursor
          in: query
          required: false
          schema: {type: string}
      responses:
        '200':
          description: 'A page'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/RetentionPolicyPage'}
        default: {$ref: '#/components/responses/Error'}
  /v1/namespaces/{ns}/retention-policies/{name}:
    put:
      operationId: setPolicy
      summary: 'Create or replace a policy'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
        - name: name
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/PolicySet'}
      responses:
        '200':
          description: 'The policy'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/RetentionPolicy'}
        default: {$ref: '#/components/responses/Error'}
    delete:
      operationId: deletePolicy
      summary: 'Delete a policy'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
        - name: name
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
      responses:
        '204':
          description: 'Deleted'
        default: {$ref: '#/components/responses/Error'}
  /v1/namespaces/{ns}/retention/evaluate:
    post:
      operationId: evaluateRetention
      summary: 'Apply (or dry-run, the default) the policies'
      parameters:
        - name: ns
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$', maxLength: 64}
        - name: dryRun
          in: query
          required: false
          schema: {type: boolean}
      responses:
        '200':
          description: 'The report'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/RetentionReport'}
        default: {$ref: '#/components/responses/Error'}
  /v1/gc:
    post:
      operationId: collectGarbage
      summary: 'Run (or dry-run) garbage collection'
      parameters:
        - name: dryRun
          in: query
          required: false
          schema: {type: boolean}
      responses:
        '200':
          description: 'The report'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/GarbageCollectionReport'}
        default: {$ref: '#/components/responses/Error'}
  /v1/scrub:
    post:
      operationId: scrub
      summary: 'Verify a page of live blobs'
      parameters:
        - name: limit
          in: query
          required: false
          schema: {type: integer, minimum: 1, maximum: 1000}
        - name: cursor
          in: query
          required: false
          schema: {type: string}
      responses:
        '200':
          description: 'The findings of the page'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/ScrubReport'}
        default: {$ref: '#/components/responses/Error'}
  /v1/audit:
    get:
      operationId: exportAudit
      summary: 'Audit records as JSON Lines'
      parameters:
        - name: since
          in: query
          required: false
          schema: {type: string, format: date-time}
        - name: until
          in: query
          required: false
          schema: {type: string, format: date-time}
        - name: actor
          in: query
          required: false
          schema: {type: string}
        - name: namespace
          in: query
          required: false
          schema: {type: string}
        - name: action
          in: query
          required: false
          schema: {type: string}
      responses:
        '200':
          description: >-
            One JSON record per line, sealed records only, oldest first. A failure after the status
            line (a malformed stored record: code auditRecordMalformed) ends the stream with one line
            {"error":{"code":…,"message":…,"sequence":…}}.
          content:
            application/x-ndjson:
              schema: {type: string}
        default: {$ref: '#/components/responses/Error'}
  /v1/audit/verify:
    get:
      operationId: verifyAudit
      summary: 'Verify the audit hash chain; a malformed record is a fault in the report, not an error'
      responses:
        '200':
          description: 'The report'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/AuditChainReport'}
        default: {$ref: '#/components/responses/Error'}
  /v1/tokens:
    post:
      operationId: createToken
      summary: 'Create a token'
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/TokenCreate'}
      responses:
        '201':
          description: 'The token (shown only here)'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/IssuedToken'}
        default: {$ref: '#/components/responses/Error'}
    get:
      operationId: listTokens
      summary: 'Tokens (never their secrets)'
      parameters:
        - name: limit
          in: query
          required: false
          schema: {type: integer, minimum: 1, maximum: 1000}
        - name: cursor
          in: query
          required: false
          schema: {type: string}
      responses:
        '200':
          description: 'A page'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/TokenInfoPage'}
        default: {$ref: '#/components/responses/Error'}
  /v1/tokens/{id}:
    delete:
      operationId: revokeToken
      summary: 'Revoke a token'
      parameters:
        - name: id
          in: path
          required: true
          schema: {type: string, pattern: '^[0-9a-f]{16}$'}
      responses:
        '204':
          description: 'Revoked'
        default: {$ref: '#/components/responses/Error'}
  /v1/whoami:
    get:
      operationId: whoami
      summary: 'The calling token'
      responses:
        '200':
          description: 'Its identity'
          content:
            application/json:
              schema: {$ref: '#/components/schemas/WhoAmI'}
        default: {$ref: '#/components/responses/Error'}
components:
  securitySchemes:
    bearerAuth: {type: http, scheme: bearer}
    basicAuth: {type: http, scheme: basic}
  responses:
    Error:
      description: A refusal or failure
      content:
        application/json:
          schema: {$ref: '#/components/schemas/Error'}
  schemas:
    Error:
      type: object
      required: [error]
      properties:
        error:
          type: object
          required: [code, message]
          properties:
            code: {type: string}
            message: {type: string}
    Health:
      type: object
      required: [status]
      properties:
        status: {type: string}
    BackendStatus:
      type: object
      required: [backendID, isDefault, reachable, writable, latencySeconds, message, checkedAt]
      properties:
        backendID: {type: string}
        isDefault: {type: boolean}
        reachable: {type: boolean}
        writable: {type: boolean}
        latencySeconds: {type: number}
        freeBytes: {type: integer}
        totalBytes: {type: integer}
        message: {type: string}
        checkedAt: {type: string, format: date-time}
    Readiness:
      type: object
      required: [status, database, backends]
      properties:
        status: {type: string, enum: [ready, unready]}
        database: {type: object, required: [ok, message], properties: {ok: {type: boolean}, message: {type: string}}}
        backends: {type: array, items: {$ref: '#/components/schemas/BackendStatus'}}
    Namespace:
      type: object
      required: [name, immutableTags, createdBy, createdAt]
      properties:
        name: {type: string}
        immutableTags: {type: boolean}
        createdBy: {type: string}
        createdAt: {type: string, format: date-time}
    NamespaceCreate:
      type: object
      required: [name]
      properties:
        name: {type: string}
        immutableTags: {type: boolean}
    Blob:
      type: object
      required: [address, size, sha256, blake3, deduplicated]
      properties:
        address: {type: string}
        size: {type: integer}
        sha256: {type: string}
        blake3: {type: string}
        deduplicated: {type: boolean}
    VerifyResult:
      type: object
      required: [address, backendID, verified, actualPrimaryDigest, actualSHA256Digest, actualBLAKE3Digest, actualSize]
      properties:
        address: {type: string}
        backendID: {type: string}
        verified: {type: boolean}
        actualPrimaryDigest: {type: string}
        actualSHA256Digest: {type: string}
        actualBLAKE3Digest: {type: string}
        actualSize: {type: integer}
        mismatch: {type: string}
    Artifact:
      type: object
      required: [namespace, name, createdAt]
      properties:
        namespace: {type: string}
        name: {type: string}
        createdAt: {type: string, format: date-time}
    VersionSummary:
      type: object
      required: [namespace, artifact, version, creator, createdAt, labels, fileCount, totalSize]
      properties:
        namespace: {type: string}
        artifact: {type: string}
        version: {type: string}
        creator: {type: string}
        createdAt: {type: string, format: date-time}
        labels: {type: object, additionalProperties: {type: string}}
        fileCount: {type: integer}
        totalSize: {type: integer}
    VersionFile:
      type: object
      required: [path, address, size, mediaType]
      properties:
        path: {type: string}
        address: {type: string}
        size: {type: integer}
        mediaType: {type: string}
    ArtifactVersion:
      type: object
      required: [summary, files]
      properties:
        summary: {$ref: '#/components/schemas/VersionSummary'}
        files: {type: array, items: {$ref: '#/components/schemas/VersionFile'}}
    VersionCommit:
      type: object
      required: [files]
      properties:
        files: {type: array, items: {type: object, required: [path, address], properties: {path: {type: string}, address: {type: string}, mediaType: {type: string}}}}
        labels: {type: object, additionalProperties: {type: string}}
    VersionVerify:
      type: object
      required: [verified, files]
      properties:
        verified: {type: boolean}
        files: {type: array, items: {type: object, required: [path, address, verified], properties: {path: {type: string}, address: {type: string}, verified: {type: boolean}, mismatch: {type: string}}}}
    Tag:
      type: object
      required: [namespace, artifact, name, version, updatedBy, updatedAt]
      properties:
        namespace: {type: string}
        artifact: {type: string}
        name: {type: string}
        version: {type: string}
        updatedBy: {type: string}
        updatedAt: {type: string, format: date-time}
    TagSet:
      type: object
      required: [version]
      properties:
        version: {type: string}
    LegalHold:
      type: object
      required: [namespace, artifact, version, reason, createdBy, createdAt]
      properties:
        namespace: {type: string}
        artifact: {type: string}
        version: {type: string}
        reason: {type: string}
        createdBy: {type: string}
        createdAt: {type: string, format: date-time}
    HoldPlace:
      type: object
      required: [reason]
      properties:
        reason: {type: string}
    RetentionPolicy:
      type: object
      required: [namespace, name, artifactGlob, protectTagged]
      properties:
        namespace: {type: string}
        name: {type: string}
        artifactGlob: {type: string}
        keepLast: {type: integer}
        maxAgeSeconds: {type: integer}
        protectTagged: {type: boolean}
    PolicySet:
      type: object
      properties:
        artifactGlob: {type: string}
        keepLast: {type: integer}
        maxAgeSeconds: {type: integer}
        protectTagged: {type: boolean}
    RetentionDecision:
      type: object
      required: [namespace, artifact, version, createdAt, action, reason]
      properties:
        namespace: {type: string}
        artifact: {type: string}
        version: {type: string}
        createdAt: {type: string, format: date-time}
        action: {type: string, enum: [delete, blocked]}
        reason: {type: string}
    RetentionReport:
      type: object
      required: [namespace, dryRun, decisions, versionsExamined]
      properties:
        namespace: {type: string}
        dryRun: {type: boolean}
        decisions: {type: array, items: {$ref: '#/components/schemas/RetentionDecision'}}
        versionsExamined: {type: integer}
    GarbageCollectionReport:
      type: object
      required: [ran, dryRun, linksExpired, blobsMarked, blobsDeleted, bytesDeleted, deletionsFailed]
      properties:
        ran: {type: boolean}
        dryRun: {type: boolean}
        linksExpired: {type: integer}
        blobsMarked: {type: integer}
        blobsDeleted: {type: integer}
        bytesDeleted: {type: integer}
        deletionsFailed: {type: integer}
    ScrubReport:
      type: object
      required: [checked, corrupted, collected, garbageCollectionRunning, nextCursor]
      properties:
        checked: {type: integer}
        corrupted: {type: array, items: {type: object, required: [address, backendID, mismatch], properties: {address: {type: string}, backendID: {type: string}, mismatch: {type: string}}}}
        collected: {type: integer}
        garbageCollectionRunning: {type: boolean}
        nextCursor: {type: [string, 'null']}
    AuditChainReport:
      type: object
      required: [intact, recordsChecked, recordsPending]
      properties:
        intact: {type: boolean}
        recordsChecked: {type: integer}
        recordsPending: {type: integer}
        firstFault:
          type: object
          required: [sequence, reason, message]
          properties:
            sequence: {type: integer}
            reason: {type: string, enum: [contentsAltered, recordMissing, chainBroken, headMismatch, malformed, keyUnknown, pendingForged]}
            message: {type: string}
            pendingID: {type: string}
    Grant:
      type: object
      required: [scope]
      properties:
        scope: {type: string, enum: [read, write, admin]}
        namespace: {type: [string, 'null']}
    TokenInfo:
      type: object
      required: [id, name, grants, createdBy, createdAt]
      properties:
        id: {type: string}
        name: {type: string}
        grants: {type: array, items: {$ref: '#/components/schemas/Grant'}}
        createdBy: {type: string}
        createdAt: {type: string, format: date-time}
        expiresAt: {type: string, format: date-time}
        revokedAt: {type: string, format: date-time}
    TokenCreate:
      type: object
      required: [name, grants]
      properties:
        name: {type: string}
        grants: {type: array, items: {$ref: '#/components/schemas/Grant'}}
        expiresAt: {type: string, format: date-time}
    IssuedToken:
      type: object
      required: [token, info]
      properties:
        token: {type: string}
        info: {$ref: '#/components/schemas/TokenInfo'}
    WhoAmI:
      type: object
      required: [tokenID, name, grants]
      properties:
        tokenID: {type: string}
        name: {type: string}
        grants: {type: array, items: {$ref: '#/components/schemas/Grant'}}
    NamespacePage:
      type: object
      required: [items, nextCursor]
      properties:
        items: {type: array, items: {$ref: '#/components/schemas/Namespace'}}
        nextCursor: {type: [string, 'null']}
    ArtifactPage:
      type: object
      required: [items, nextCursor]
      properties:
        items: {type: array, items: {$ref: '#/components/schemas/Artifact'}}
        nextCursor: {type: [string, 'null']}
    VersionSummaryPage:
      type: object
      required: [items, nextCursor]
      properties:
        items: {type: array, items: {$ref: '#/components/schemas/VersionSummary'}}
        nextCursor: {type: [string, 'null']}
    VersionFilePage:
      type: object
      required: [items, nextCursor]
      properties:
        items: {type: array, items: {$ref: '#/components/schemas/VersionFile'}}
        nextCursor: {type: [string, 'null']}
    TagPage:
      type: object
      required: [items, nextCursor]
      properties:
        items: {type: array, items: {$ref: '#/components/schemas/Tag'}}
        nextCursor: {type: [string, 'null']}
    LegalHoldPage:
      type: object
      required: [items, nextCursor]
      properties:
        items: {type: array, items: {$ref: '#/components/schemas/LegalHold'}}
        nextCursor: {type: [string, 'null']}
    RetentionPolicyPage:
      type: object
      required: [items, nextCursor]
      properties:
        items: {type: array, items: {$ref: '#/components/schemas/RetentionPolicy'}}
        nextCursor: {type: [string, 'null']}
    TokenInfoPage:
      type: object
      required: [items, nextCursor]
      properties:
        items: {type: array, items: {$ref: '#/components/schemas/TokenInfo'}}
        nextCursor: {type: [string, 'null']}
"""#
}
