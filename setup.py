"""Packaging for azure-communication-identity (code-generated layer + customizations).

The import packages do not mirror the folders: ``customizations/`` is the public package
``azure.communication.identity`` and ``generated/`` (AutoRest output) is its private
``_generated`` subpackage. The emulator is a distribution of its own (``emulator/pyproject.toml``):
the client wheel carries no server.
"""
import os
import re

from setuptools import find_packages, setup

HERE = os.path.abspath(os.path.dirname(__file__))
PUBLIC = "azure.communication.identity"
GENERATED = PUBLIC + "._generated"


def _read(*parts):
    with open(os.path.join(HERE, *parts), encoding="utf-8") as handle:
        return handle.read()


def _version_field(name):
    match = re.search(rf'^{name} = "([^"]+)"', _read("customizations", "_version.py"), re.M)
    return match.group(1)


def _packages(prefix, folder):
    return [prefix] + [f"{prefix}.{sub}" for sub in find_packages(os.path.join(HERE, folder))]


VERSION = _version_field("VERSION")
API_VERSION = _version_field("DEFAULT_API_VERSION")

setup(
    name="azure-communication-identity",
    version=VERSION,
    description=(
        "Azure Communication Services Identity client for Python, generated from OpenAPI; "
        f"targets Identity API {API_VERSION} by default"
    ),
    long_description=_read("README.md"),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.9",
    package_dir={PUBLIC: "customizations", GENERATED: "generated"},
    packages=_packages(PUBLIC, "customizations") + _packages(GENERATED, "generated"),
    package_data={PUBLIC: ["py.typed"], GENERATED: ["py.typed"]},
    include_package_data=False,
    zip_safe=False,
    install_requires=[
        "azure-core>=1.31.0,<2",  # the oldest release the suite was run against; 1.30 maps aiohttp timeouts differently
        "msrest>=0.7.1",
        # The sync transport's HTTP library. 2.5.0 is the first that brackets IPv6 literals in CONNECT on
        # Pythons before 3.11.9/3.12.3 (2.4.0 fails the conformance suite there); 2.6.0 the first that bounds
        # decompression while streaming (CVE-2025-66471, CVE-2025-66418), which matters now that responses
        # are decoded. Suite run against 2.6.0 and 2.8.0.
        "urllib3>=2.6.0,<3",
        "isodate>=0.6.1",
        "typing-extensions>=4.0.1",
    ],
    extras_require={
        "aio": ["aiohttp>=3.8"],
        "dev": [
            "aiohttp>=3.8",
            "cryptography>=41",
            "pytest>=7.4",
            "pytest-asyncio>=0.23",
            "pytest-timeout>=2.2",
            "ruff==0.17.6",
            "openapi-spec-validator>=0.7",
            "jsonschema>=4.17",
            "hypothesis>=6.90",
            "build>=1.0",
        ],
    },
    # A developer's command line over the public client (standard library only).
    entry_points={"console_scripts": ["acs-identity = azure.communication.identity._cli:main"]},
    classifiers=[
        "Development Status :: 4 - Beta",
        "Programming Language :: Python :: 3",
        "Typing :: Typed",
    ],
)
