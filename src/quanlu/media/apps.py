from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "quanlu.media"
    verbose_name = "音像记录"

    def ready(self) -> None:
        from quanlu.media import facts, integrity

        integrity.bind()  # which rows the ledger commits
        facts.bind()  # the audio-visual records' facts, for the rules

        from quanlu.core import jobs
        from quanlu.media.services import uploads_clean

        # Also run at the job runner's start: the staging files of uploads cut off by a
        # killed server are swept then.
        jobs.register("media.uploads_clean", every=15 * 60, func=uploads_clean)
