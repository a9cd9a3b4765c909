"""The JSON API at /api/v1/ (PRODUCT §13). Each app keeps its operations in a
``router`` in its own ``api.py``; mount it here. See docs/api.md."""

from __future__ import annotations

from jiaozi.core.api.base import JiaoziAPI

api = JiaoziAPI(
    title="Jiaozi 教资 API",
    version="1",
    urls_namespace="api",
    description=(
        "教师资格管理信息系统接口。认证：服务账号使用 `Authorization: Bearer <令牌>`；"
        "浏览器会话须为已通过动态口令验证的工作人员，非安全方法须带 CSRF 令牌。"
        "错误一律为 `application/problem+json`（RFC 9457），以 `code` 区分。"
        "创建类 POST 支持 `Idempotency-Key`。详见 docs/api.md。"
    ),
)

api.add_router("", "jiaozi.accounts.api.router")
api.add_router("", "jiaozi.orgs.api.router")
api.add_router("", "jiaozi.registration.api.router")
api.add_router("", "jiaozi.certification.api.router")
api.add_router("", "jiaozi.confirmation.api.router")
api.add_router("", "jiaozi.certservices.api.router")
api.add_router("", "jiaozi.announcements.api.router")
api.add_router("", "jiaozi.directory.api.router")
api.add_router("", "jiaozi.oversight.api.router")
api.add_router("", "jiaozi.exports.api.router")
