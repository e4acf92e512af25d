<?php
/**
 * New comments go to modq; modq's status becomes the comment's.
 *
 * Hooks, in the order WordPress runs them for one new comment:
 * 1. `pre_comment_approved` (late): the comment has no id yet, and modq needs it as
 *    `external_id` (so a re-sent comment is not stored twice, and webhooks name it).
 *    The plugin only marks the comment for modq and holds it (0) for the moment.
 * 2. `comment_post` (priority 1, before WordPress's own notifications at 10, which read
 *    the status again): the comment exists; the plugin sends it and sets modq's status
 *    with wp_set_comment_status. So a visitor's comment is never shown before modq has
 *    decided, and the moderator is e-mailed only about comments modq holds.
 * A comment modq cannot take now (down, timeout, 5xx) stays held (or approved, if the
 * outage policy says so) and is marked; WP-Cron sends it again until modq has it.
 *
 * @package modq
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Sends comments, keeps modq's answer in comment meta, applies statuses.
 */
class Modq_Comments {
	const META_ID      = 'modq_id';
	const META_STATUS  = 'modq_status';
	const META_REASONS = 'modq_reasons';
	const META_SCORES  = 'modq_scores';
	const META_UNSENT  = '_modq_unsent';
	const META_ERROR   = '_modq_error';
	const CRON_HOOK    = 'modq_resend';
	const BATCH        = 50;

	/** True between `pre_comment_approved` and `comment_post` for a comment modq decides. */
	private static $deciding = false;

	/** True while the plugin itself changes a status (so no feedback is sent for it). */
	public static $applying = false;

	/** Hook into WordPress. */
	public static function register() {
		add_filter( 'pre_comment_approved', array( __CLASS__, 'hold_for_modq' ), 99, 2 );
		add_action( 'comment_post', array( __CLASS__, 'send_new' ), 1, 3 );
		add_action( self::CRON_HOOK, array( __CLASS__, 'resend' ) );
	}

	/** Remove the plugin's cron event (on deactivation). */
	public static function unschedule() {
		wp_clear_scheduled_hook( self::CRON_HOOK );
	}

	/**
	 * `pre_comment_approved`: hold the comment until modq has answered (a moment later).
	 *
	 * @param int|string|WP_Error $approved    WordPress's status so far.
	 * @param array               $commentdata The new comment.
	 * @return int|string|WP_Error
	 */
	public static function hold_for_modq( $approved, $commentdata ) {
		self::$deciding = false;
		if ( ! Modq_Settings::configured() || is_wp_error( $approved ) ) {
			return $approved;
		}
		// WordPress's own verdicts (disallowed words: trash; another plugin: spam) stand.
		if ( 'spam' === $approved || 'trash' === $approved ) {
			return $approved;
		}
		$type = isset( $commentdata['comment_type'] ) ? $commentdata['comment_type'] : 'comment';
		if ( '' !== $type && 'comment' !== $type ) {
			return $approved; // pingbacks and trackbacks are not commenters' words
		}
		if ( ! empty( $commentdata['user_id'] ) && user_can( (int) $commentdata['user_id'], 'moderate_comments' ) ) {
			return $approved; // the site's own moderators
		}
		self::$deciding = true;
		return 0;
	}

	/**
	 * `comment_post`: send the comment now that it has an id.
	 *
	 * @param int        $comment_id The new comment's id.
	 * @param int|string $approved   Its status.
	 * @param array      $commentdata The comment.
	 */
	public static function send_new( $comment_id, $approved, $commentdata ) {
		if ( ! self::$deciding ) {
			return;
		}
		self::$deciding = false;
		$comment = get_comment( $comment_id );
		if ( $comment ) {
			$referrer = isset( $_SERVER['HTTP_REFERER'] ) ? esc_url_raw( wp_unslash( $_SERVER['HTTP_REFERER'] ) ) : '';
			self::send( $comment, true, $referrer );
		}
	}

	/**
	 * Send one comment to modq and apply its answer; on failure, mark it for WP-Cron.
	 *
	 * @param WP_Comment $comment  The comment.
	 * @param bool       $first    Whether this is the visitor's own request (not a re-send).
	 * @param string     $referrer The page the visitor came from.
	 * @return bool Whether modq has the comment now.
	 */
	public static function send( $comment, $first, $referrer = '' ) {
		$answer = Modq_Client::create_comment( self::payload( $comment, $referrer ) );
		$id     = (int) $comment->comment_ID;
		if ( is_wp_error( $answer ) ) {
			$data   = $answer->get_error_data();
			$status = is_array( $data ) && isset( $data['status'] ) ? (int) $data['status'] : 0;
			update_comment_meta( $id, self::META_ERROR, $answer->get_error_message() );
			if ( in_array( $status, array( 400, 413, 415, 422 ), true ) ) {
				// modq refuses this comment as it is: sending it again would not help.
				delete_comment_meta( $id, self::META_UNSENT );
				return false;
			}
			update_comment_meta( $id, self::META_UNSENT, time() );
			if ( $first && 'approve' === Modq_Settings::outage_policy() ) {
				self::apply_status( $id, 'approved' );
			}
			self::schedule();
			return false;
		}
		delete_comment_meta( $id, self::META_UNSENT );
		delete_comment_meta( $id, self::META_ERROR );
		self::remember( $id, $answer );
		self::apply_status( $id, isset( $answer['status'] ) ? $answer['status'] : 'pending' );
		return true;
	}

	/**
	 * Keep modq's id, status, reasons and scores in comment meta.
	 *
	 * @param int   $id     The comment id.
	 * @param array $answer modq's comment (or a webhook's data).
	 */
	public static function remember( $id, array $answer ) {
		if ( ! empty( $answer['id'] ) ) {
			update_comment_meta( $id, self::META_ID, sanitize_text_field( $answer['id'] ) );
		}
		if ( ! empty( $answer['status'] ) ) {
			update_comment_meta( $id, self::META_STATUS, sanitize_key( $answer['status'] ) );
		}
		if ( isset( $answer['reasons'] ) && is_array( $answer['reasons'] ) ) {
			$reasons = array();
			foreach ( $answer['reasons'] as $reason ) {
				if ( is_array( $reason ) && isset( $reason['code'] ) ) {
					$reasons[] = array(
						'code'    => sanitize_key( $reason['code'] ),
						'message' => isset( $reason['message'] ) ? sanitize_text_field( $reason['message'] ) : '',
					);
				}
			}
			update_comment_meta( $id, self::META_REASONS, wp_slash( wp_json_encode( $reasons ) ) );
		} elseif ( ! empty( $answer['reason'] ) ) {
			$reason = sanitize_key( $answer['reason'] );
			update_comment_meta( $id, self::META_REASONS, wp_slash( wp_json_encode( array( array( 'code' => $reason, 'message' => $reason ) ) ) ) );
		}
		if ( isset( $answer['scores'] ) && is_array( $answer['scores'] ) ) {
			update_comment_meta( $id, self::META_SCORES, wp_slash( wp_json_encode( $answer['scores'] ) ) );
		}
	}

	/**
	 * Give the comment the WordPress status of modq's: approved -> 1, pending -> 0, rejected -> spam.
	 *
	 * @param int    $id          The comment id.
	 * @param string $modq_status approved, pending or rejected.
	 * @return bool Whether the status changed.
	 */
	public static function apply_status( $id, $modq_status ) {
		$map = array(
			'approved' => array( '1', 'approve' ),
			'pending'  => array( '0', 'hold' ),
			'rejected' => array( 'spam', 'spam' ),
		);
		if ( ! isset( $map[ $modq_status ] ) ) {
			return false;
		}
		$comment = get_comment( $id );
		if ( ! $comment || 'trash' === $comment->comment_approved ) {
			return false; // a moderator put it in the trash: that stands
		}
		list( $stored, $action ) = $map[ $modq_status ];
		if ( (string) $comment->comment_approved === $stored ) {
			return false;
		}
		self::$applying = true;
		try {
			wp_set_comment_status( $id, $action );
		} finally {
			self::$applying = false;
		}
		return true;
	}

	/** WP-Cron: send again the comments and feedback modq did not get. */
	public static function resend() {
		$comments = get_comments(
			array(
				'meta_key' => self::META_UNSENT, // phpcs:ignore WordPress.DB.SlowDBQuery
				'status'   => 'any',
				'number'   => self::BATCH,
				'orderby'  => 'comment_ID',
				'order'    => 'ASC',
			)
		);
		$left = false;
		foreach ( $comments as $comment ) {
			if ( ! self::send( $comment, false ) ) {
				$left = true;
			}
		}
		if ( ! Modq_Feedback::resend() ) {
			$left = true;
		}
		if ( $left || count( $comments ) === self::BATCH ) {
			self::schedule();
		}
	}

	/** Run `resend` again soon (filter `modq_retry_delay`, seconds, default 60). */
	public static function schedule() {
		if ( ! wp_next_scheduled( self::CRON_HOOK ) ) {
			wp_schedule_single_event( time() + (int) apply_filters( 'modq_retry_delay', 60 ), self::CRON_HOOK );
		}
	}

	/**
	 * The comment as modq's POST /v1/comments takes it.
	 *
	 * @param WP_Comment $comment  The comment.
	 * @param string     $referrer The page the visitor came from.
	 * @return array
	 */
	public static function payload( $comment, $referrer = '' ) {
		$payload = array(
			'name'        => '' !== $comment->comment_author ? $comment->comment_author : 'Anonymous',
			'email'       => $comment->comment_author_email,
			'text'        => $comment->comment_content,
			'url'         => $comment->comment_author_url,
			'thread'      => (string) get_permalink( (int) $comment->comment_post_ID ),
			'external_id' => (string) $comment->comment_ID,
			'ip'          => $comment->comment_author_IP,
			'user_agent'  => $comment->comment_agent,
		);
		if ( '' !== $referrer ) {
			$payload['referrer'] = $referrer;
		}
		if ( ! empty( $comment->comment_parent ) ) {
			$parent = get_comment_meta( (int) $comment->comment_parent, self::META_ID, true );
			if ( $parent ) {
				$payload['parent_id'] = $parent;
			}
		}
		return array_filter(
			$payload,
			function ( $value ) {
				return '' !== $value && null !== $value;
			}
		);
	}

	/**
	 * The comment modq knows by this id (its external_id first, then the meta).
	 *
	 * @param string $modq_id     modq's id.
	 * @param string $external_id This site's comment id, as sent.
	 * @return WP_Comment|null
	 */
	public static function find( $modq_id, $external_id ) {
		if ( ctype_digit( (string) $external_id ) ) {
			$comment = get_comment( (int) $external_id );
			if ( $comment ) {
				$known = get_comment_meta( (int) $comment->comment_ID, self::META_ID, true );
				if ( ! $known || $known === $modq_id ) {
					return $comment;
				}
			}
		}
		$found = get_comments(
			array(
				'meta_key'   => self::META_ID, // phpcs:ignore WordPress.DB.SlowDBQuery
				'meta_value' => $modq_id, // phpcs:ignore WordPress.DB.SlowDBQuery
				'status'     => 'any',
				'number'     => 1,
			)
		);
		return $found ? $found[0] : null;
	}
}
