extension WebUIAssets {
    /// The page script (plain ES5, no dependencies): one function per page, chosen by
    /// `location.pathname`; every value from the store is set with `textContent` or
    /// `setAttribute`, never parsed as markup.
    static let script = #"""
        "use strict";
        // ArtifactStore web UI. Every value from the store reaches the page as textContent or an
        // attribute set through the DOM, never as markup. The session cookie is HttpOnly; the CSRF token
        // comes from GET /ui/session and goes back in X-CSRF-Token on every request that changes state.
        (function() {
          var session = null;
          var main = document.getElementById("main");
          var nav = document.getElementById("nav");

          function el(tag, attrs) {
            var node = document.createElement(tag);
            if (attrs) {
              Object.keys(attrs).forEach(function(key) {
                var value = attrs[key];
                if (value === null || value === undefined || value === false) return;
                if (key === "text") node.textContent = String(value);
                else if (key === "onclick" || key === "onsubmit" || key === "oninput") node[key] = value;
                else node.setAttribute(key, value === true ? "" : String(value));
              });
            }
            for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
            return node;
          }

          function append(node, child) {
            if (child === null || child === undefined || child === false) return;
            if (Array.isArray(child)) {
              child.forEach(function(c) {
                append(node, c);
              });
              return;
            }
            node.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
          }

          function clear(node) {
            while (node.firstChild) node.removeChild(node.firstChild);
          }

          function seg(text) {
            return encodeURIComponent(text);
          }

          function pathOf(parts) {
            return parts.map(seg).join("/");
          }

          function query() {
            return new URLSearchParams(location.search);
          }

          function bytes(n) {
            if (n === null || n === undefined) return "";
            var units = ["B", "KiB", "MiB", "GiB", "TiB"],
              i = 0,
              v = Number(n);
            while (v >= 1024 && i < units.length - 1) {
              v /= 1024;
              i++;
            }
            return (i === 0 ? String(v) : v.toFixed(1)) + " " + units[i];
          }

          function when(text) {
            return text ? String(text).replace("T", " ").replace(/\.\d+Z$/, "Z") : "";
          }

          function ApiError(status, code, message) {
            this.status = status;
            this.code = code;
            this.message = message;
          }

          function api(method, path, body) {
            var headers = {
              "Accept": "application/json"
            };
            if (method !== "GET" && method !== "HEAD" && session) headers["X-CSRF-Token"] = session.csrfToken;
            var init = {
              method: method,
              headers: headers,
              credentials: "same-origin",
              cache: "no-store"
            };
            if (body !== undefined) {
              headers["Content-Type"] = "application/json";
              init.body = JSON.stringify(body);
            }
            return fetch(path, init).then(function(response) {
              if (response.status === 401 && path.indexOf("/ui/session") !== 0) {
                location.assign("/ui/signin");
                throw new ApiError(401, "unauthenticated", "signed out");
              }
              if (response.status === 204) return null;
              var type = response.headers.get("Content-Type") || "";
              var read = type.indexOf("json") >= 0 ? response.json() : response.text();
              return read.then(function(data) {
                if (!response.ok) {
                  var error = data && data.error ? data.error : {
                    code: String(response.status),
                    message: String(data)
                  };
                  throw new ApiError(response.status, error.code, error.message);
                }
                return data;
              });
            });
          }

          function status(kind, text) {
            return el("p", {
              "class": "status " + kind,
              role: "status",
              text: text
            });
          }

          function failure(error) {
            var message = error instanceof ApiError ? error.code + ": " + error.message : String(error && error.message || error);
            return status("bad", message);
          }

          function show(target, node) {
            clear(target);
            append(target, node);
          }

          function copyButton(value, label) {
            return el("button", {
              type: "button",
              "class": "small secondary",
              "aria-label": label,
              text: "Copy",
              onclick: function(event) {
                var button = event.currentTarget;
                var done = function() {
                  button.textContent = "Copied";
                };
                if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(value).then(done, function() {
                  button.textContent = "Select and copy";
                });
                else {
                  var area = el("textarea", {
                    "class": "skip",
                    "aria-hidden": "true"
                  });
                  area.value = value;
                  document.body.appendChild(area);
                  area.select();
                  try {
                    document.execCommand("copy");
                    done();
                  } catch (e) {
                    button.textContent = "Select and copy";
                  }
                  document.body.removeChild(area);
                }
              }
            });
          }

          function table(caption, headings, rows) {
            var head = el("tr", null, headings.map(function(h) {
              return el("th", {
                scope: "col",
                text: h
              });
            }));
            var body = rows.length ? rows : [el("tr", null, el("td", {
              colspan: headings.length,
              "class": "muted",
              text: "Nothing here."
            }))];
            return el("div", {
              "class": "scroll"
            }, el("table", null, el("caption", {
              "class": "skip",
              text: caption
            }), el("thead", null, head), el("tbody", null, body)));
          }

          function row(cells) {
            return el("tr", null, cells.map(function(c) {
              return el("td", null, c);
            }));
          }

          function pager(nextCursor) {
            if (!nextCursor) return null;
            var params = query();
            params.set("cursor", nextCursor);
            return el("p", {
              "class": "pager"
            }, el("a", {
              href: location.pathname + "?" + params.toString(),
              text: "Next page →"
            }));
          }

          function pageQuery(limit) {
            var params = new URLSearchParams();
            params.set("limit", String(limit || 50));
            var cursor = query().get("cursor");
            if (cursor) params.set("cursor", cursor);
            return "?" + params.toString();
          }

          function title(text, crumbs) {
            document.title = text + " · ArtifactStore";
            var trail = crumbs ? el("p", {
              "class": "muted"
            }, crumbs.map(function(c, i) {
              return [i ? " / " : "", c[1] ? el("a", {
                href: c[1],
                text: c[0]
              }) : c[0]];
            })) : null;
            return [trail, el("h1", {
              text: text
            })];
          }

          function field(label, input) {
            return el("label", null, label, input);
          }

          // --- navigation and session -------------------------------------------------------------
          function renderNav() {
            clear(nav);
            if (!session) return;
            var links = [
              ["Namespaces", "/ui/namespaces"],
              ["Audit", "/ui/audit"],
              ["Tokens", "/ui/tokens"],
              ["Operations", "/ui/operations"]
            ];
            links.forEach(function(l) {
              var current = location.pathname.indexOf(l[1]) === 0 || (l[1] === "/ui/namespaces" && (location.pathname ===
                "/ui/" || location.pathname === "/ui"));
              append(nav, el("a", {
                href: l[1],
                "aria-current": current ? "page" : null,
                text: l[0]
              }));
            });
            append(nav, el("span", {
              "class": "who",
              text: "Signed in as " + session.name + " (" + session.tokenID + ")"
            }));
            append(nav, el("button", {
              type: "button",
              "class": "secondary small",
              text: "Sign out",
              onclick: function() {
                api("DELETE", "/ui/session").then(function() {
                  location.assign("/ui/signin");
                }, function(e) {
                  show(main, failure(e));
                });
              }
            }));
          }

          function signInPage() {
            document.title = "Sign in · ArtifactStore";
            var input = el("input", {
              id: "token",
              name: "token",
              type: "password",
              autocomplete: "off",
              required: true,
              spellcheck: "false"
            });
            var message = el("div", {
              "aria-live": "polite"
            });
            var provider = el("p", {
              id: "provider"
            });
            var form = el("form", {
              "class": "inline",
              id: "signin",
              onsubmit: function(event) {
                event.preventDefault();
                api("POST", "/ui/session", {
                  token: input.value
                }).then(function() {
                    input.value = "";
                    location.assign("/ui/");
                  },
                  function(e) {
                    input.value = "";
                    show(message, failure(e));
                  });
              }
            }, field("Token", input), el("button", {
              type: "submit",
              text: "Sign in"
            }));
            show(main, [el("h1", {
                text: "Sign in"
              }),
              el("p", {
                text: "Sign in with an ArtifactStore token (ast_…). The token is sent once; the browser keeps only a session cookie."
              }),
              form, message, provider
            ]);
            // Sign-in at the OpenID provider, when the server offers it (docs/identity.md).
            api("GET", "/ui/oidc").then(function(info) {
              append(provider, el("a", {
                href: "/ui/oidc/start",
                id: "oidc-signin",
                "class": "button",
                text: "Sign in with " + info.providerName
              }));
            }, function() {});
            input.focus();
          }

          // --- namespaces ---------------------------------------------------------------------------
          function usageCells(ns) {
            var cells = [el("td", {
              text: "…"
            }), el("td"), el("td"), el("td")];
            api("GET", "/v1/namespaces/" + seg(ns) + "/usage").then(function(u) {
              cells[0].textContent = String(u.objects);
              cells[1].textContent = bytes(u.bytesReferenced) + (u.quotaBytes == null ? "" : " of " + bytes(u.quotaBytes) + " quota");
              cells[2].textContent = bytes(u.bytesStored);
              cells[3].textContent = u.dedupRatio.toFixed(2) + "×";
            }, function(e) {
              cells[0].textContent = e.code || "unavailable";
            });
            return cells;
          }

          function namespacesPage() {
            show(main, title("Namespaces"));
            api("GET", "/v1/namespaces" + pageQuery()).then(function(page) {
              var rows = page.items.map(function(ns) {
                return el("tr", null, el("td", null, el("a", {
                    href: "/ui/namespaces/" + seg(ns.name),
                    text: ns.name
                  })),
                  usageCells(ns.name), el("td", {
                    text: ns.immutableTags ? "yes" : "no"
                  }), el("td", {
                    text: ns.createdBy
                  }), el("td", {
                    text: when(ns.createdAt)
                  }));
              });
              append(main, [table("Namespaces", ["Name", "Objects", "Bytes referenced", "Bytes stored", "Dedup ratio",
                "Immutable tags", "Created by", "Created"
              ], rows), pager(page.nextCursor)]);
            }, function(e) {
              append(main, failure(e));
            });
          }

          function namespacePage(ns) {
            // The filter is the API's prefix, so it pages on the server like the whole list.
            var prefix = query().get("prefix") || "";
            var filter = el("input", {
              id: "artifact-filter",
              name: "prefix",
              type: "search",
              value: prefix,
              placeholder: "name starts with…"
            });
            var list = el("div");
            show(main, [title(ns, [
                ["Namespaces", "/ui/namespaces"]
              ]), el("h2", {
                text: "Artifacts"
              }),
              el("form", {
                "class": "inline",
                role: "search",
                method: "get",
                action: location.pathname
              }, field("Artifact name starts with", filter), el("button", {
                type: "submit",
                text: "Filter"
              })), list,
              el("h2", {
                text: "Legal holds"
              }), el("div", {
                id: "holds"
              }), el("h2", {
                text: "Retention policies"
              }), el("div", {
                id: "policies"
              })
            ]);
            var artifactQuery = pageQuery(100) + (prefix ? "&prefix=" + encodeURIComponent(prefix) : "");
            api("GET", "/v1/namespaces/" + seg(ns) + "/artifacts" + artifactQuery).then(function(page) {
              var rows = page.items.map(function(a) {
                return el("tr", {
                  "data-name": a.name
                }, el("td", null, el("a", {
                  href: "/ui/namespaces/" + pathOf([ns, "artifacts", a.name]),
                  text: a.name
                })), el("td", {
                  text: when(a.createdAt)
                }));
              });
              show(list, [table("Artifacts", ["Artifact", "Created"], rows), pager(page.nextCursor)]);
            }, function(e) {
              show(list, failure(e));
            });
            api("GET", "/v1/namespaces/" + seg(ns) + "/holds?limit=100").then(function(page) {
              show(document.getElementById("holds"), table("Legal holds", ["Artifact", "Version", "Reason", "By", "Since"], page
                .items.map(function(h) {
                  return row([el("a", {
                      href: "/ui/namespaces/" + pathOf([ns, "artifacts", h.artifact]),
                      text: h.artifact
                    }),
                    el("a", {
                      href: "/ui/namespaces/" + pathOf([ns, "artifacts", h.artifact, "versions", h.version]),
                      text: h.version
                    }), h.reason, h.createdBy, when(h.createdAt)
                  ]);
                })));
            }, function(e) {
              show(document.getElementById("holds"), failure(e));
            });
            policiesInto(document.getElementById("policies"), ns);
          }

          function policiesInto(target, ns) {
            api("GET", "/v1/namespaces/" + seg(ns) + "/retention-policies?limit=100").then(function(page) {
              show(target, table("Retention policies of " + ns, ["Namespace", "Policy", "Artifacts", "Keep last", "Max age (s)",
                "Protect tagged"
              ], page.items.map(function(p) {
                return row([p.namespace, p.name, p.artifactGlob, p.keepLast === undefined || p.keepLast === null ? "" :
                  String(p.keepLast),
                  p.maxAgeSeconds === undefined || p.maxAgeSeconds === null ? "" : String(p.maxAgeSeconds), p
                  .protectTagged ? "yes" : "no"
                ]);
              })));
            }, function(e) {
              show(target, failure(e));
            });
          }

          // --- artifacts and versions ---------------------------------------------------------------
          function artifactPage(ns, artifact) {
            var base = "/v1/namespaces/" + pathOf([ns, "artifacts", artifact]);
            var tagInput = el("input", {
              id: "tag-filter",
              type: "search",
              placeholder: "tag name"
            });
            var tagMessage = el("div", {
              "aria-live": "polite"
            });
            var versions = el("div"),
              tags = el("div");
            show(main, [title(artifact, [
                ["Namespaces", "/ui/namespaces"],
                [ns, "/ui/namespaces/" + seg(ns)]
              ]),
              el("form", {
                "class": "inline",
                role: "search",
                onsubmit: function(event) {
                  event.preventDefault();
                  api("GET", base + "/tags/" + seg(tagInput.value)).then(function(tag) {
                    location.assign("/ui/namespaces/" + pathOf([ns, "artifacts", artifact, "versions", tag.version]));
                  }, function(e) {
                    show(tagMessage, failure(e));
                  });
                }
              }, field("Go to the version a tag names", tagInput), el("button", {
                type: "submit",
                text: "Find tag"
              })), tagMessage,
              el("p", null, el("a", {
                href: "/ui/namespaces/" + pathOf([ns, "artifacts", artifact, "oci"]),
                text: "View as an OCI repository (manifests, layers, referrers)"
              })),
              el("h2", {
                text: "Versions"
              }), versions, el("h2", {
                text: "Tags"
              }), tags
            ]);
            api("GET", base + "/versions" + pageQuery()).then(function(page) {
              show(versions, [table("Versions", ["Version", "Files", "Size", "Created by", "Created"], page.items.map(function(
              v) {
                return row([el("a", {
                    href: "/ui/namespaces/" + pathOf([ns, "artifacts", artifact, "versions", v.version]),
                    text: v.version
                  }),
                  String(v.fileCount), bytes(v.totalSize), v.creator, when(v.createdAt)
                ]);
              })), pager(page.nextCursor)]);
            }, function(e) {
              show(versions, failure(e));
            });
            api("GET", base + "/tags?limit=100").then(function(page) {
              show(tags, table("Tags", ["Tag", "Version", "Updated by", "Updated"], page.items.map(function(t) {
                return row([t.name, el("a", {
                  href: "/ui/namespaces/" + pathOf([ns, "artifacts", artifact, "versions", t.version]),
                  text: t.version
                }), t.updatedBy, when(t.updatedAt)]);
              })));
            }, function(e) {
              show(tags, failure(e));
            });
          }

          function sha256Hex(header) {
            // Content-Digest / Repr-Digest: sha-256=:<base64>:
            var match = /sha-256=:([A-Za-z0-9+\/=]+):/.exec(header || "");
            if (!match) return "";
            var raw = atob(match[1]),
              hex = "";
            for (var i = 0; i < raw.length; i++) hex += ("0" + raw.charCodeAt(i).toString(16)).slice(-2);
            return "sha256:" + hex;
          }

          function versionPage(ns, artifact, version) {
            var base = "/v1/namespaces/" + pathOf([ns, "artifacts", artifact, "versions", version]);
            var facts = el("div"),
              files = el("div", {
                id: "files"
              }),
              holdBox = el("div", {
                id: "hold"
              }),
              verifyBox = el("div", {
                id: "verify-result",
                "aria-live": "polite"
              });
            var tagsBox = el("div", {
              id: "version-tags"
            });
            show(main, [title(version, [
                ["Namespaces", "/ui/namespaces"],
                [ns, "/ui/namespaces/" + seg(ns)],
                [artifact, "/ui/namespaces/" + pathOf([ns, "artifacts", artifact])]
              ]),
              facts, el("h2", {
                text: "Files"
              }), files,
              el("h2", {
                text: "Verify"
              }), el("p", {
                text: "Reads every file back from storage and checks it against its address."
              }),
              el("button", {
                type: "button",
                id: "verify",
                text: "Verify this version",
                onclick: function() {
                  show(verifyBox, status("", "Verifying…"));
                  api("POST", base + "/verify").then(function(result) {
                    var lines = result.files.map(function(f) {
                      return row([f.path, f.verified ? "verified" : "MISMATCH", f.mismatch || ""]);
                    });
                    show(verifyBox, [status(result.verified ? "ok" : "bad", result.verified ?
                        "Verified: every file matches its address." :
                        "Verification failed: a file does not match its address."),
                      table("Verify result", ["Path", "Result", "Detail"], lines)
                    ]);
                  }, function(e) {
                    show(verifyBox, failure(e));
                  });
                }
              }), verifyBox,
              el("h2", {
                text: "Tags"
              }), tagsBox, el("h2", {
                text: "Legal hold"
              }), holdBox
            ]);
            api("GET", base).then(function(v) {
              var s = v.summary;
              var labels = Object.keys(s.labels || {}).sort().map(function(k) {
                return [el("dt", {
                  text: "label " + k
                }), el("dd", {
                  text: s.labels[k]
                })];
              });
              show(facts, el("dl", {
                  "class": "facts"
                }, el("dt", {
                  text: "Created by"
                }), el("dd", {
                  text: s.creator
                }), el("dt", {
                  text: "Created"
                }), el("dd", {
                  text: when(s.createdAt)
                }),
                el("dt", {
                  text: "Files"
                }), el("dd", {
                  text: String(s.fileCount)
                }), el("dt", {
                  text: "Total size"
                }), el("dd", {
                  text: bytes(s.totalSize)
                }), labels));
            }, function(e) {
              show(facts, failure(e));
            });
            api("GET", base + "/files" + pageQuery(100)).then(function(page) {
              var rows = page.items.map(function(f) {
                var url = base + "/files/" + f.path.split("/").map(seg).join("/");
                var shaCell = el("td", {
                  "class": "mono",
                  text: "…"
                });
                fetch(url, {
                  method: "HEAD",
                  credentials: "same-origin"
                }).then(function(r) {
                  var sha = sha256Hex(r.headers.get("Content-Digest") || r.headers.get("Repr-Digest"));
                  clear(shaCell);
                  append(shaCell, [el("code", {
                    text: sha
                  }), " ", sha ? copyButton(sha, "Copy SHA-256 of " + f.path) : null]);
                });
                return el("tr", null, el("td", null, el("a", {
                    href: url,
                    download: f.path.split("/").pop(),
                    "class": "download",
                    text: f.path
                  })),
                  el("td", {
                    text: bytes(f.size)
                  }), el("td", {
                    "class": "mono"
                  }, el("code", {
                    text: f.address
                  }), " ", copyButton(f.address, "Copy BLAKE3 of " + f.path)),
                  shaCell, el("td", {
                    text: f.mediaType
                  }));
              });
              show(files, [table("Files", ["Path (download)", "Size", "BLAKE3", "SHA-256", "Media type"], rows), pager(page
                .nextCursor)]);
            }, function(e) {
              show(files, failure(e));
            });
            api("GET", "/v1/namespaces/" + pathOf([ns, "artifacts", artifact]) + "/tags?limit=1000").then(function(page) {
              var mine = page.items.filter(function(t) {
                return t.version === version;
              });
              show(tagsBox, mine.length ? el("ul", null, mine.map(function(t) {
                return el("li", {
                  text: t.name
                });
              })) : el("p", {
                "class": "muted",
                text: "No tag names this version."
              }));
            }, function(e) {
              show(tagsBox, failure(e));
            });
            renderHold(holdBox, ns, artifact, version, base);
          }

          function renderHold(box, ns, artifact, version, base) {
            api("GET", "/v1/namespaces/" + seg(ns) + "/holds?limit=1000").then(function(page) {
              var hold = page.items.filter(function(h) {
                return h.artifact === artifact && h.version === version;
              })[0];
              var message = el("div", {
                "aria-live": "polite"
              });
              var again = function() {
                renderHold(box, ns, artifact, version, base);
              };
              if (hold) {
                show(box, [status("ok", "Held: " + hold.reason + " (by " + hold.createdBy + ", " + when(hold.createdAt) + ")"),
                  el("button", {
                    type: "button",
                    id: "release-hold",
                    "class": "danger",
                    text: "Release hold",
                    onclick: function() {
                      api("DELETE", base + "/hold").then(again, function(e) {
                        show(message, failure(e));
                      });
                    }
                  }), message
                ]);
              } else {
                var reason = el("input", {
                  id: "hold-reason",
                  required: true
                });
                show(box, [el("p", {
                    "class": "muted",
                    text: "Not held. A held version cannot be deleted, by hand or by retention."
                  }),
                  el("form", {
                    "class": "inline",
                    id: "place-hold",
                    onsubmit: function(event) {
                      event.preventDefault();
                      api("PUT", base + "/hold", {
                        reason: reason.value
                      }).then(again, function(e) {
                        show(message, failure(e));
                      });
                    }
                  }, field("Reason", reason), el("button", {
                    type: "submit",
                    text: "Place hold"
                  })), message
                ]);
              }
            }, function(e) {
              show(box, failure(e));
            });
          }

          // --- OCI repositories ---------------------------------------------------------------------
          // A manifest is the version sha256-<hex>; its file manifest.json holds the manifest's bytes
          // (docs/oci.md). The page reads the manifests of one page of versions and groups them.
          function ociPage(ns, artifact) {
            var base = "/v1/namespaces/" + pathOf([ns, "artifacts", artifact]);
            var tagsBox = el("div", {
                id: "oci-tags"
              }),
              manifestsBox = el("div", {
                id: "oci-manifests"
              }),
              referrersBox = el("div", {
                id: "oci-referrers"
              });
            show(main, [title(ns + "/" + artifact + " (OCI)", [
                ["Namespaces", "/ui/namespaces"],
                [ns, "/ui/namespaces/" + seg(ns)],
                [artifact, "/ui/namespaces/" + pathOf([ns, "artifacts", artifact])]
              ]),
              el("p", {
                "class": "muted",
                text: "Pull as " + location.host + "/" + ns + "/" + artifact
              }),
              el("h2", {
                text: "Tags"
              }), tagsBox, el("h2", {
                text: "Manifests and indexes"
              }), manifestsBox, el("h2", {
                text: "Referrers"
              }), referrersBox
            ]);
            api("GET", base + "/versions" + pageQuery(100)).then(function(page) {
              var versions = page.items.filter(function(v) {
                return /^sha256-[0-9a-f]{64}$/.test(v.version);
              });
              return Promise.all(versions.map(function(v) {
                return fetch(base + "/versions/" + seg(v.version) + "/files/manifest.json", {
                    credentials: "same-origin",
                    cache: "no-store"
                  })
                  .then(function(r) {
                    return r.ok ? r.json() : null;
                  }).then(function(m) {
                      return {
                        digest: "sha256:" + v.version.slice(7),
                        version: v,
                        manifest: m
                      };
                    },
                    function() {
                      return {
                        digest: "sha256:" + v.version.slice(7),
                        version: v,
                        manifest: null
                      };
                    });
              })).then(function(entries) {
                renderOCI(ns, artifact, entries, page.nextCursor, tagsBox, manifestsBox, referrersBox, base);
              });
            }).catch(function(e) {
              show(manifestsBox, failure(e));
            });
          }

          function annotationsList(annotations) {
            var keys = Object.keys(annotations || {}).sort();
            return keys.length ? el("dl", {
              "class": "facts"
            }, keys.map(function(k) {
              return [el("dt", {
                text: k
              }), el("dd", {
                text: String(annotations[k])
              })];
            })) : null;
          }

          function renderOCI(ns, artifact, entries, nextCursor, tagsBox, manifestsBox, referrersBox, base) {
            var byDigest = {};
            entries.forEach(function(e) {
              byDigest[e.digest] = e;
            });
            api("GET", base + "/tags?limit=1000").then(function(page) {
              show(tagsBox, table("Tags", ["Tag", "Manifest", "Updated"], page.items.map(function(t) {
                return row([t.name, el("code", {
                  text: t.version.replace(/^sha256-/, "sha256:")
                }), when(t.updatedAt)]);
              })));
            }, function(e) {
              show(tagsBox, failure(e));
            });
            var subjects = {};
            var blocks = entries.filter(function(e) {
              return e.manifest && !(e.manifest.subject && e.manifest.subject.digest);
            }).map(function(e) {
              var m = e.manifest,
                rows = [];
              if (m.manifests) {
                rows = m.manifests.map(function(child) {
                  var p = child.platform || {};
                  var platform = [p.os, p.architecture, p.variant].filter(Boolean).join("/") || "(no platform)";
                  return row([platform, el("code", {
                    text: child.digest
                  }), bytes(child.size), child.mediaType || ""]);
                });
                return el("section", {
                    "class": "oci-manifest"
                  }, el("h3", {
                    text: "Index " + e.digest
                  }), el("p", {
                    "class": "muted",
                    text: m.mediaType || ""
                  }),
                  table("Manifests of the index", ["Platform", "Manifest", "Size", "Media type"], rows), annotationsList(m
                    .annotations));
              }
              var layers = (m.layers || []).map(function(l, i) {
                return row([String(i + 1), el("code", {
                  text: l.digest
                }), bytes(l.size), l.mediaType || ""]);
              });
              var total = (m.layers || []).reduce(function(sum, l) {
                return sum + (l.size || 0);
              }, 0);
              return el("section", {
                  "class": "oci-manifest"
                }, el("h3", {
                  text: "Manifest " + e.digest
                }),
                el("p", {
                  "class": "muted",
                  text: (m.mediaType || "") + (m.artifactType ? " · artifact type " + m.artifactType : "") + " · layers " +
                    bytes(total)
                }),
                m.config ? el("p", null, "Config ", el("code", {
                  text: m.config.digest
                }), " (" + bytes(m.config.size) + ", " + (m.config.mediaType || "") + ")") : null,
                table("Layers", ["#", "Layer", "Size", "Media type"], layers), annotationsList(m.annotations),
                el("p", null, el("a", {
                  href: "/ui/namespaces/" + pathOf([ns, "artifacts", artifact, "versions", e.version.version]),
                  text: "Files of this manifest"
                })));
            });
            entries.forEach(function(e) {
              if (e.manifest && e.manifest.subject && e.manifest.subject.digest) {
                var type = e.manifest.artifactType || (e.manifest.config && e.manifest.config.mediaType) || "(no artifact type)";
                var subject = e.manifest.subject.digest;
                subjects[subject] = subjects[subject] || {};
                (subjects[subject][type] = subjects[subject][type] || []).push(e);
              }
            });
            show(manifestsBox, [blocks.length ? blocks : el("p", {
              "class": "muted",
              text: "No OCI manifests among these versions."
            }), pager(nextCursor)]);
            var groups = Object.keys(subjects).sort().map(function(subject) {
              return el("section", null, el("h3", null, "Referring to ", el("code", {
                  text: subject
                })),
                Object.keys(subjects[subject]).sort().map(function(type) {
                  return [el("h4", {
                    text: type
                  }), table("Referrers of type " + type, ["Manifest", "Size", "Annotations"], subjects[subject][type].map(
                    function(e) {
                      var size = (e.manifest.layers || []).reduce(function(sum, l) {
                        return sum + (l.size || 0);
                      }, 0);
                      return row([el("code", {
                        text: e.digest
                      }), bytes(size), annotationsList(e.manifest.annotations)]);
                    }))];
                }));
            });
            show(referrersBox, groups.length ? groups : el("p", {
              "class": "muted",
              text: "No signatures, SBOMs or other referrers."
            }));
          }

          // --- audit --------------------------------------------------------------------------------
          function auditPage() {
            var params = query();
            var inputs = {};
            var form = el("form", {
                "class": "inline",
                id: "audit-filter",
                method: "get",
                action: "/ui/audit"
              },
              ["actor", "action", "namespace", "since", "until"].map(function(name) {
                inputs[name] = el("input", {
                  id: "audit-" + name,
                  name: name,
                  value: params.get(name) || "",
                  placeholder: name === "since" ? "24 hours ago" : name === "until" ? "now" : "any"
                });
                return field(name.charAt(0).toUpperCase() + name.slice(1), inputs[name]);
              }), el("button", {
                type: "submit",
                text: "Filter"
              }));
            var filter = new URLSearchParams();
            // Without a start the page shows the last 24 hours, so a long log never loads whole.
            if (!params.get("since")) params.set("since", new Date(Date.now() - 86400000).toISOString());
            ["actor", "action", "namespace", "since", "until"].forEach(function(n) {
              if (params.get(n)) filter.set(n, params.get(n));
            });
            var exportURL = "/v1/audit" + (filter.toString() ? "?" + filter.toString() : "");
            var chain = el("div", {
                id: "chain",
                "aria-live": "polite"
              }),
              records = el("div"),
              badRecord = null;
            show(main, [title("Audit log"), chain, form, el("p", null, el("a", {
              href: exportURL,
              download: "audit.jsonl",
              text: "Export these records as JSON Lines"
            })), records]);
            api("GET", "/v1/audit/verify").then(function(report) {
              if (report.intact) show(chain, status("ok", "Chain intact: " + report.recordsChecked + " records checked, " + report
                .recordsPending + " pending."));
              else {
                badRecord = report.firstFault.sequence;
                markBad();
              }
              if (!report.intact) show(chain, status("bad", "Chain broken at record " + report.firstFault.sequence + " (" + report
                .firstFault.reason + "): " + report.firstFault.message));
            }, function(e) {
              show(chain, failure(e));
            });

            function markBad() {
              Array.prototype.forEach.call(records.querySelectorAll("tr[data-seq]"), function(tr) {
                if (Number(tr.getAttribute("data-seq")) === badRecord) tr.className = "bad-row";
              });
            }
            fetch(exportURL, {
              credentials: "same-origin",
              cache: "no-store"
            }).then(function(r) {
              if (r.status === 401) {
                location.assign("/ui/signin");
                return "";
              }
              if (!r.ok) return r.json().then(function(d) {
                throw new ApiError(r.status, d.error.code, d.error.message);
              });
              return r.text();
            }).then(function(text) {
              var lines = text.split("\n").filter(function(l) {
                return l.trim() !== "";
              }).map(function(l) {
                try {
                  return JSON.parse(l);
                } catch (e) {
                  return null;
                }
              }).filter(Boolean);
              var shown = lines.slice(-200).reverse();
              show(records, [el("p", {
                  "class": "muted",
                  text: lines.length + " records match; the newest " + shown.length + " are shown."
                }),
                table("Audit records", ["#", "Time", "Actor", "Action", "Namespace", "Target", "Outcome", "Detail"], shown
                  .map(function(r) {
                    var tr = row([String(r.sequence), when(new Date(r.timeMilliseconds).toISOString()), r.actor, r.action, r
                      .namespace || "", r.target, r.outcome, r.detail || ""
                    ]);
                    tr.setAttribute("data-seq", String(r.sequence));
                    return tr;
                  }))
              ]);
              markBad();
            }).catch(function(e) {
              show(records, failure(e));
            });
          }

          // --- tokens -------------------------------------------------------------------------------
          function tokensPage() {
            var name = el("input", {
              id: "token-name",
              required: true
            });
            var scope = el("select", {
              id: "token-scope"
            }, ["read", "write", "admin"].map(function(s) {
              return el("option", {
                value: s,
                text: s
              });
            }));
            var namespace = el("input", {
              id: "token-namespace",
              placeholder: "every namespace"
            });
            var expires = el("input", {
              id: "token-expires",
              type: "date"
            });
            var created = el("div", {
                id: "token-created",
                "aria-live": "polite"
              }),
              list = el("div");
            show(main, [title("Tokens"), el("h2", {
                text: "Create a token"
              }),
              el("form", {
                  "class": "inline",
                  id: "create-token",
                  onsubmit: function(event) {
                    event.preventDefault();
                    var body = {
                      name: name.value,
                      grants: [{
                        scope: scope.value,
                        namespace: namespace.value || null
                      }]
                    };
                    if (expires.value) body.expiresAt = expires.value + "T00:00:00Z";
                    api("POST", "/v1/tokens", body).then(function(issued) {
                      show(created, [status("ok", "Token " + issued.info.name +
                          " created. Copy it now: it is shown only this once."),
                        el("p", {
                          "class": "secret",
                          id: "new-token",
                          text: issued.token
                        }), copyButton(issued.token, "Copy the new token")
                      ]);
                      listTokens(list);
                    }, function(e) {
                      show(created, failure(e));
                    });
                  }
                }, field("Name", name), field("Scope", scope), field("Namespace (empty: all)", namespace), field(
                  "Expires (optional)", expires),
                el("button", {
                  type: "submit",
                  text: "Create token"
                })), created, el("h2", {
                text: "Tokens"
              }), list
            ]);
            listTokens(list);
          }

          function listTokens(list) {
            api("GET", "/v1/tokens" + pageQuery(100)).then(function(page) {
              show(list, [table("Tokens", ["Id", "Name", "Grants", "Created by", "Created", "Expires", "State", ""], page.items
                .map(function(t) {
                  var action = t.revokedAt ? "" : el("button", {
                    type: "button",
                    "class": "danger small",
                    "data-token": t.id,
                    "aria-label": "Revoke token " + t.name,
                    text: "Revoke",
                    onclick: function() {
                      if (!window.confirm("Revoke token " + t.name + " (" + t.id +
                          ")? Everything using it stops working.")) return;
                      api("DELETE", "/v1/tokens/" + seg(t.id)).then(function() {
                        listTokens(list);
                      }, function(e) {
                        append(list, failure(e));
                      });
                    }
                  });
                  var state = t.revokedAt ? "revoked " + when(t.revokedAt) : "active";
                  return row([el("code", {
                      text: t.id
                    }), t.name, t.grants.map(function(g) {
                      return g.scope + ":" + (g.namespace || "*");
                    }).join(" "), t.createdBy,
                    when(t.createdAt), t.expiresAt ? when(t.expiresAt) : "never", state, action
                  ]);
                })), pager(page.nextCursor)]);
            }, function(e) {
              show(list, failure(e));
            });
          }

          // --- operations ---------------------------------------------------------------------------
          // The last garbage collection and retention runs, newest first, with their reports' counts.
          function runsInto(target) {
            api("GET", "/v1/maintenance/runs?limit=20").then(function(page) {
              show(target, table("Last runs", ["Run", "Started", "Took", "Report"], page.items.map(function(run) {
                var took = (new Date(run.finishedAt) - new Date(run.startedAt)) / 1000;
                var report = Object.keys(run.summary).sort().map(function(k) {
                  return k + " " + (k.indexOf("bytes") === 0 ? bytes(run.summary[k]) : String(run.summary[k]));
                }).join(" · ");
                var kind = run.kind === "retention" ? "retention" : "garbage collection";
                return row([kind, when(run.startedAt), took.toFixed(1) + " s", report]);
              })));
            }, function(e) {
              show(target, failure(e));
            });
          }

          function operationsPage() {
            var health = el("div", {
                id: "health"
              }),
              gc = el("div", {
                id: "gc-result",
                "aria-live": "polite"
              }),
              policies = el("div"),
              runs = el("div", {
                id: "runs"
              });
            show(main, [title("Operations"), el("h2", {
                text: "Health"
              }), health,
              el("h2", {
                text: "Garbage collection"
              }),
              el("p", {
                "class": "muted",
                text: "A dry run reports what a collection would remove, and removes nothing."
              }),
              el("button", {
                type: "button",
                id: "gc-dry-run",
                text: "GC dry run",
                onclick: function() {
                  show(gc, status("", "Running…"));
                  api("POST", "/v1/gc?dryRun=true").then(function(report) {
                    show(gc, el("dl", {
                      "class": "facts"
                    }, Object.keys(report).sort().map(function(k) {
                      return [el("dt", {
                        text: k
                      }), el("dd", {
                        text: JSON.stringify(report[k])
                      })];
                    })));
                  }, function(e) {
                    show(gc, failure(e));
                  });
                }
              }), gc, el("h2", {
                text: "Last runs"
              }), runs, el("h2", {
                text: "Retention policies"
              }), policies
            ]);
            runsInto(runs);
            fetch("/readyz", {
              credentials: "same-origin",
              cache: "no-store"
            }).then(function(r) {
              return r.json();
            }).then(function(ready) {
              var rows = [row(["database", ready.database.ok ? "ok" : "failing", ready.database.message])].concat((ready
                .backends || []).map(function(b) {
                var detail = [b.reachable ? "reachable" : "unreachable", b.writable ? "writable" : "not writable", b
                  .isDefault ? "default" : null,
                  b.freeBytes !== undefined && b.totalBytes !== undefined ? bytes(b.freeBytes) + " free of " + bytes(b
                    .totalBytes) : null,
                  b.latencySeconds !== undefined ? "checked in " + (b.latencySeconds * 1000).toFixed(1) + " ms" : null, b
                  .message || null
                ];
                return row(["backend " + (b.backendID || ""), b.reachable && b.writable ? "ok" : "failing", detail.filter(
                  Boolean).join(" · ")]);
              }));
              show(health, [status(ready.status === "ready" ? "ok" : "bad", "Server " + ready.status), table("Health", ["Part",
                "State", "Detail"
              ], rows)]);
            }).catch(function(e) {
              show(health, failure(e));
            });
            api("GET", "/v1/namespaces?limit=100").then(function(page) {
              clear(policies);
              page.items.forEach(function(ns) {
                var box = el("div");
                append(policies, box);
                policiesInto(box, ns.name);
              });
              if (!page.items.length) append(policies, el("p", {
                "class": "muted",
                text: "No namespaces."
              }));
            }, function(e) {
              show(policies, failure(e));
            });
          }

          // --- routing ------------------------------------------------------------------------------
          function route() {
            var parts = location.pathname.split("/").filter(Boolean).slice(1).map(decodeURIComponent);
            if (parts[0] === "signin") return signInPage();
            if (parts.length === 0 || (parts[0] === "namespaces" && parts.length === 1)) return namespacesPage();
            if (parts[0] === "namespaces" && parts.length === 2) return namespacePage(parts[1]);
            if (parts[0] === "namespaces" && parts.length === 4 && parts[2] === "artifacts") return artifactPage(parts[1], parts[3]);
            if (parts[0] === "namespaces" && parts.length === 6 && parts[4] === "versions") return versionPage(parts[1], parts[3],
              parts[5]);
            if (parts[0] === "namespaces" && parts.length === 5 && parts[2] === "artifacts" && parts[4] === "oci") return ociPage(
              parts[1], parts[3]);
            if (parts[0] === "audit") return auditPage();
            if (parts[0] === "tokens") return tokensPage();
            if (parts[0] === "operations") return operationsPage();
            show(main, [el("h1", {
              text: "Page not found"
            }), el("p", null, el("a", {
              href: "/ui/",
              text: "Go to the namespaces"
            }))]);
          }

          if (location.pathname === "/ui/signin") {
            route();
            return;
          }
          api("GET", "/ui/session").then(function(current) {
              session = current;
              renderNav();
              route();
            },
            function() {
              location.assign("/ui/signin");
            });
        })();
        """#
}
