# PostgreSQL from Debian's packages, standing in for the public postgres image where no image
# registry is reachable (`make images`). It honours what compose uses of the public image:
# POSTGRES_USER, POSTGRES_HOST_AUTH_METHOD=trust and the scripts in /docker-entrypoint-initdb.d.
ARG DEBIAN_IMAGE=guanwei/debian:bookworm
FROM ${DEBIAN_IMAGE}
# The package would create a cluster of its own; the entrypoint makes one on first start instead.
RUN mkdir -p /etc/postgresql-common \
    && echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf \
    && apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
    && mkdir -p /var/lib/postgresql/data /docker-entrypoint-initdb.d \
    && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
USER postgres
EXPOSE 5432
HEALTHCHECK --interval=5s --timeout=3s --retries=30 CMD ["pg_isready", "-U", "postgres"]
ENTRYPOINT ["postgres-entrypoint.sh"]
CMD ["postgres"]
