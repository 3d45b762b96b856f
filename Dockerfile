# The onething image for compose.yaml: the worker and the portal run from it.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain domain
COPY workflows workflows
COPY activities activities
COPY bootstrap bootstrap
COPY store store
COPY portal portal
COPY cli cli
COPY reports reports
COPY seal seal
COPY services services
COPY samples samples
COPY worker.py settings.py logs.py codec.py secret_files.py ./
RUN pip install --no-cache-dir . && useradd --system onething && mkdir -p /var/lib/onething \
    && chown onething /var/lib/onething
USER onething
