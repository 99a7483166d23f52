#!/usr/bin/env bash
# A throwaway OpenLDAP server for the LDAP tests (issue 20, item 4): never the system's slapd.
#
#   eval "$(scripts/ldap/start-slapd.sh DIR)"
#
# Writes a slapd.conf and an mdb database under DIR, starts slapd on 127.0.0.1 on a free port
# (pid in DIR/slapd.pid), and loads dc=example,dc=org with two users and two groups:
#   uid=alice,ou=people,dc=example,dc=org   member of cn=devs and cn=readers
#   uid=bob,ou=people,dc=example,dc=org     member of cn=readers
# Users may bind and read the groups; nothing else is allowed. The passwords are random per run.
# Prints the export lines the tests read (ARTIFACTSTORE_TEST_LDAP_URL, ..._ALICE_PASSWORD,
# ..._BOB_PASSWORD) on standard output. Stop it with: kill "$(cat DIR/slapd.pid)".
# Needs Debian's slapd and ldap-utils (.ci/run installs them).
set -euo pipefail

DIR=${1:?usage: scripts/ldap/start-slapd.sh DIR}
mkdir -p "$DIR/db"
SLAPD=$(command -v slapd || echo /usr/sbin/slapd)
[ -x "$SLAPD" ] || { echo "slapd is not installed (apt-get install slapd ldap-utils)" >&2; exit 1; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ADMIN_PW=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
ALICE_PW=$(python3 -c 'import secrets; print("alice-" + secrets.token_hex(12))')
BOB_PW=$(python3 -c 'import secrets; print("bob-" + secrets.token_hex(12))')
MODULES=/usr/lib/ldap
[ -d "$MODULES" ] || MODULES=$(dirname "$(find /usr/lib -name 'back_mdb*.so*' 2>/dev/null | head -1)")

cat >"$DIR/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath $MODULES
moduleload back_mdb
pidfile $DIR/slapd.pid
argsfile $DIR/slapd.args
database mdb
maxsize 16777216
suffix "dc=example,dc=org"
rootdn "cn=admin,dc=example,dc=org"
rootpw $ADMIN_PW
directory $DIR/db
access to attrs=userPassword by anonymous auth by * none
access to dn.subtree="ou=groups,dc=example,dc=org" by users read by * none
access to * by users read by * none
CONF

"$SLAPD" -f "$DIR/slapd.conf" -h "ldap://127.0.0.1:$PORT/" >"$DIR/slapd.log" 2>&1
for _ in $(seq 1 50); do
    ldapsearch -x -H "ldap://127.0.0.1:$PORT" -b "" -s base >/dev/null 2>&1 && break
    sleep 0.2
done

ldapadd -x -H "ldap://127.0.0.1:$PORT" -D "cn=admin,dc=example,dc=org" -w "$ADMIN_PW" >"$DIR/ldapadd.log" 2>&1 <<LDIF
dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,dc=example,dc=org
objectClass: organizationalUnit
ou: people

dn: ou=groups,dc=example,dc=org
objectClass: organizationalUnit
ou: groups

dn: uid=alice,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: alice
cn: Alice
sn: Example
userPassword: $ALICE_PW

dn: uid=bob,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: bob
cn: Bob
sn: Example
userPassword: $BOB_PW

dn: cn=devs,ou=groups,dc=example,dc=org
objectClass: groupOfNames
cn: devs
member: uid=alice,ou=people,dc=example,dc=org

dn: cn=readers,ou=groups,dc=example,dc=org
objectClass: groupOfNames
cn: readers
member: uid=alice,ou=people,dc=example,dc=org
member: uid=bob,ou=people,dc=example,dc=org
LDIF

echo "export ARTIFACTSTORE_TEST_LDAP_URL=ldap://127.0.0.1:$PORT"
echo "export ARTIFACTSTORE_TEST_LDAP_ALICE_PASSWORD=$ALICE_PW"
echo "export ARTIFACTSTORE_TEST_LDAP_BOB_PASSWORD=$BOB_PW"
