# Tandem's one image: `tandem api` (the default), `tandem worker`, `tandem migrate`,
# `tandem temporal-setup`. Configured entirely by TANDEM_* variables (README, Configuration);
# docker-compose.yml runs a whole cluster from it.
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/tandem
WORKDIR /src
COPY pyproject.toml README.md ./
COPY tandem ./tandem
RUN /opt/tandem/bin/pip install .

FROM python:3.11-slim-bookworm
COPY --from=build /opt/tandem /opt/tandem
# Tandem keeps nothing on local disk when TANDEM_DATABASE_URL, TANDEM_SMTP_URL,
# TANDEM_SECRET_KEY and TANDEM_PAYLOAD_KEYS are set; the data folder is only a fallback.
RUN useradd --system --user-group --create-home --home-dir /var/lib/tandem tandem
ENV PATH=/opt/tandem/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TANDEM_DATA_DIR=/var/lib/tandem \
    TANDEM_API_HOST=0.0.0.0 \
    TANDEM_API_PORT=8000
USER tandem
WORKDIR /var/lib/tandem
EXPOSE 8000
CMD ["tandem", "api"]
