# Stand-in for postgres:16 (Debian bookworm ships 15): the official image's contract the
# compose file relies on: POSTGRES_USER/PASSWORD/DB, PGDATA=/var/lib/postgresql/data,
# pg_isready on PATH, listens on 5432 for the network with password auth.
FROM orghub-standin/bookworm
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* /var/lib/postgresql/15 /etc/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
EXPOSE 5432
CMD ["postgres"]
